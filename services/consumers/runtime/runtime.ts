// The consuming runtime every consumer service shares: one kafkajs consumer group per
// (service, sink), a pure flattener, and a sink. Its promises:
// - offsets of a partition are committed only after the sink made every row up to them durable;
// - a message the flattener cannot handle goes to the dead-letter topic (awaited) and the
//   partition moves on;
// - after any rebalance, uncommitted work is dropped and the sink is told where each partition
//   resumes, so a crash or a move repeats work but never loses or doubles it as stored;
// - a sink failure that may pass (outage, overload, network: isRetryable) pauses the partition and
//   retries the same rows with backoff and jitter, the other partitions and sinks going on;
// - any other sink failure is fatal: the process exits and resumes from the last commit.
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '../../shared/logger.js';
import { backoffMs, isRetryable } from '../../shared/retry.js';
import { deadLetterMessage } from '../../shared/dead-letter.js';
import { FlattenError, type Flattener, type Row } from '../flatten/event.js';
import type { TableDeclaration } from '../../../schemas/tables.js';
import type { OutgoingMessage } from '../../ingress/publisher.js';
import type { ConsumerMetrics } from './metrics.js';
import { PartitionBuffer, type RollLimits } from './partition-buffer.js';
import type { Sink } from './sink.js';

export interface ConsumerServiceDeclaration {
  /** Service name, e.g. 'request-activity'; also names its consumer groups. */
  name: string;
  table: TableDeclaration;
  topic: string;
  flatten: Flattener;
}

export interface RuntimeOptions {
  service: ConsumerServiceDeclaration;
  kafka: Kafka;
  sink: Sink;
  /** Publishes to the dead-letter topic; resolves once acknowledged. */
  deadLetter: (message: OutgoingMessage & { topic: string }) => Promise<void>;
  deadLetterTopic: string;
  logger: Logger;
  metrics: ConsumerMetrics;
  limits: RollLimits;
  sessionTimeoutMs?: number;
  /** Facts remembered per partition to skip repeats of cumulative payloads. */
  suppressionSize?: number;
  /** Called when the sink fails; the service exits so it restarts from its last commit. */
  onFatal: (err: Error) => void;
}

export interface Readiness {
  ready: boolean;
  /** Why not, when not ready. */
  reason?: string;
}

export interface RunningConsumer {
  readonly groupId: string;
  /**
   * Ready while a member of its group with its partitions assigned, heard from the broker within
   * the session timeout, and not stopping: false before the first join, during a rebalance, when
   * the broker is gone, after a crash of the kafkajs consumer, and from stop() on.
   */
  readiness(): Readiness;
  /** Rows buffered and not yet written. */
  readonly bufferedRows: number;
  /** Stops fetching, writes and commits what is buffered, leaves the group. */
  stop(): Promise<void>;
}

/** kafkajs's errors for a commit in a generation the group has left (possibly wrapped by its retrier). */
const rebalanceErrorTypes = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);
export function isRebalanceError(err: unknown): boolean {
  let e = err as { type?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 10; depth++, e = e.cause as typeof e) {
    if (typeof e.type === 'string' && rebalanceErrorTypes.has(e.type)) return true;
  }
  return false;
}

export const groupIdFor = (service: string, sink: string) => `thena-lake.${service}.${sink}`;

export async function startConsumer(opts: RuntimeOptions): Promise<RunningConsumer> {
  const { service, sink, metrics, limits } = opts;
  const log = opts.logger.child({ component: 'consumer', sink: sink.name });
  const groupId = groupIdFor(service.name, sink.name);
  const keyColumns = service.table.factKey;
  const factKey = (row: Row) => keyColumns.map((c) => String(row[c] ?? '\u0000')).join('\u0001');
  const buffers = new Map<number, PartitionBuffer>();
  const buffer = (partition: number) => {
    let b = buffers.get(partition);
    if (!b) buffers.set(partition, (b = new PartitionBuffer(partition, factKey, opts.suppressionSize ?? 100_000)));
    return b;
  };
  const sinkLabel = { sink: sink.name };
  let generation = 0;
  let rebalancing = false;
  let joined = false;
  let stopping = false;
  let crashed: string | undefined;
  const sessionTimeoutMs = opts.sessionTimeoutMs ?? 30_000;
  /** When the broker last answered this member (a join, a heartbeat or a fetch). */
  let heardAt = 0;
  /** Partitions this runtime paused for a retry; kafkajs keeps a pause across rebalances. */
  const paused = new Set<number>();
  /** The latest eachBatch heartbeat: long writes keep the membership alive with it. */
  let heartbeat: (() => Promise<void>) | undefined;

  const consumer: Consumer = opts.kafka.consumer({
    groupId,
    sessionTimeout: sessionTimeoutMs,
    heartbeatInterval: Math.floor(sessionTimeoutMs / 10),
    // Larger fetches than kafkajs's 1 MiB per partition: a consumer catching up waits less on the
    // broker between batches (request-csat catching up: 4.2k -> 5.1k events/s).
    maxBytesPerPartition: 8 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
    // kafkajs's stop() waits for the fetch in flight, which an idle broker holds for this long
    // (kafkajs's default 5 s made every shutdown take 5 s; Kafka's Java client waits 0.5 s).
    maxWaitTimeInMs: 1_000,
  });
  consumer.on(consumer.events.REBALANCING, () => {
    rebalancing = true;
  });
  const heard = () => (heardAt = Date.now());
  consumer.on(consumer.events.HEARTBEAT, heard);
  consumer.on(consumer.events.FETCH, heard);
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    crashed = payload.error.message;
    joined = false;
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    generation++;
    rebalancing = false;
    joined = true;
    crashed = undefined;
    heard();
    for (const b of buffers.values()) b.reset();
    if (paused.size > 0) {
      consumer.resume([{ topic: service.topic, partitions: [...paused] }]);
      paused.clear();
    }
    log.info({ assignment: payload.memberAssignment }, 'partitions assigned');
  });

  /** Writes what a partition buffered, then commits; drops the write if the partition moved meanwhile. */
  const roll = async (b: PartitionBuffer): Promise<void> => {
    const batch = b.take();
    if (!batch) return;
    const startedIn = generation;
    const timer = metrics.rollSeconds.startTimer(sinkLabel);
    // kafkajs heartbeats only between batches; a long write (many insertAll calls) would otherwise
    // outlive the session and get this member evicted.
    const beat = setInterval(() => void heartbeat?.().catch(() => undefined), 2_000);
    try {
      if (batch.rows.length > 0) await sink.writeBatch(batch);
    } catch (err) {
      if (startedIn !== generation) {
        // The partition moved meanwhile: its new owner re-reads these; remove what was written.
        await sink.discard(batch).catch(() => undefined);
        return;
      }
      if (isRetryable(err)) {
        b.restore(batch);
        b.attempts++;
        const wait = backoffMs(b.attempts, { initialMs: 500, maxMs: 30_000 });
        b.retryAt = Date.now() + wait;
        if (!paused.has(batch.partition)) {
          consumer.pause([{ topic: service.topic, partitions: [batch.partition] }]);
          paused.add(batch.partition);
        }
        metrics.retries.inc(sinkLabel);
        log.warn(
          { err, partition: batch.partition, attempt: b.attempts, waitMs: wait },
          'sink write failed; partition paused, retrying',
        );
        return;
      }
      opts.onFatal(
        new Error(
          `${sink.name} sink could not write partition ${batch.partition} offsets ${batch.firstOffset}-${batch.lastOffset}: ${(err as Error).message}`,
          { cause: err },
        ),
      );
      throw err;
    } finally {
      clearInterval(beat);
    }
    const next = (BigInt(batch.lastOffset) + 1n).toString();
    try {
      if (startedIn !== generation) throw new Error('the group rebalanced during the write');
      await consumer.commitOffsets([{ topic: service.topic, partition: batch.partition, offset: next }]);
    } catch (err) {
      await sink.discard(batch);
      // The broker may know of a rebalance before this member does (its join has not happened
      // yet): the commit is then refused for a stale generation. Either way kafkajs rejoins, and
      // whoever owns the partition afterwards resumes from the last commit.
      if (startedIn !== generation || isRebalanceError(err)) {
        log.warn(
          { err, partition: batch.partition },
          'the group rebalanced during the write; discarded it, the messages will be consumed again',
        );
        return;
      }
      // Still the owner, yet the commit failed: kafkajs would not fetch these offsets again, so
      // carrying on would skip them. Restart from the last commit instead.
      opts.onFatal(
        new Error(`could not commit partition ${batch.partition} after writing: ${(err as Error).message}`, {
          cause: err,
        }),
      );
      throw err;
    }
    timer();
    if (b.attempts > 0) {
      log.info(
        { partition: batch.partition, attempts: b.attempts },
        'sink write succeeded after retries; partition resumed',
      );
      b.attempts = 0;
      b.retryAt = 0;
      if (paused.delete(batch.partition)) consumer.resume([{ topic: service.topic, partitions: [batch.partition] }]);
    }
    metrics.commits.inc(sinkLabel);
    metrics.rows.inc({ ...sinkLabel, table: service.table.name }, batch.rows.length);
  };

  const deadLetter = async (message: { partition: number; offset: string; value: string }, err: Error) => {
    const reason = err instanceof FlattenError ? err.reason : 'flatten_failed';
    await opts.deadLetter(
      deadLetterMessage({
        topic: opts.deadLetterTopic,
        source: service.name,
        reason,
        message: err.message,
        rawBody: message.value,
        origin: { topic: service.topic, partition: message.partition, offset: message.offset },
      }),
    );
    metrics.deadLetters.inc({ ...sinkLabel, reason });
    log.warn(
      { partition: message.partition, offset: message.offset, reason, err: err.message },
      'message sent to the dead-letter topic',
    );
  };

  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch, resolveOffset, isRunning, isStale } = payload;
    heartbeat = payload.heartbeat;
    const b = buffer(batch.partition);
    await b.exclusive(async () => {
      if (!b.prepared && batch.messages.length > 0) {
        await sink.prepare(batch.partition, batch.messages[0]!.offset);
        b.prepared = true;
      }
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        const value = message.value?.toString() ?? '';
        const source = { topic: batch.topic, partition: batch.partition, offset: message.offset, value };
        let rows: Row[] = [];
        try {
          const out = service.flatten(source);
          rows = out.rows;
          for (const [what, n] of Object.entries(out.counts ?? {}))
            metrics.flattenCounts.inc({ ...sinkLabel, what }, n);
        } catch (err) {
          await deadLetter(source, err as Error);
        }
        const suppressed = b.add(message.offset, rows);
        if (suppressed > 0) metrics.suppressed.inc({ ...sinkLabel, table: service.table.name }, suppressed);
        metrics.messages.inc(sinkLabel);
        resolveOffset(message.offset);
      }
      metrics.lag.set({ ...sinkLabel, partition: String(batch.partition) }, Number(batch.offsetLag()));
      if (b.due(limits)) await roll(b);
    });
    await payload.heartbeat();
  };

  // Files also close on age when no new message arrives to trigger it.
  const ticker = setInterval(() => {
    if (rebalancing || stopping) return;
    for (const b of buffers.values()) {
      if (b.due(limits)) void b.exclusive(() => roll(b)).catch(() => undefined);
    }
  }, 1000);

  await consumer.connect();
  await consumer.subscribe({ topic: service.topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 3, eachBatch });
  log.info({ groupId, topic: service.topic }, 'consuming');

  let shutdown: Promise<void> | undefined;
  return {
    groupId,
    readiness() {
      if (stopping) return { ready: false, reason: 'stopping' };
      if (crashed) return { ready: false, reason: `the Kafka consumer crashed (${crashed}); restarting` };
      if (!joined) return { ready: false, reason: 'not yet assigned partitions' };
      if (rebalancing) return { ready: false, reason: 'the group is rebalancing' };
      const silentMs = Date.now() - heardAt;
      if (silentMs > sessionTimeoutMs)
        return { ready: false, reason: `no answer from Kafka for ${Math.round(silentMs / 1000)} s` };
      return { ready: true };
    },
    get bufferedRows() {
      return [...buffers.values()].reduce((n, b) => n + b.size, 0);
    },
    stop: () =>
      (shutdown ??= (async () => {
        stopping = true;
        clearInterval(ticker);
        // Write and commit what is buffered while still a member of the group (after stop(),
        // kafkajs can no longer commit), then leave.
        consumer.pause([{ topic: service.topic }]);
        await Promise.allSettled([...buffers.values()].map((b) => b.exclusive(() => roll(b))));
        await consumer.stop();
        await consumer.disconnect();
        await sink.close();
      })()),
  };
}
