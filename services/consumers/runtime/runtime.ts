// The consuming runtime every consumer service shares: one kafkajs consumer group per
// (table, sink), the table's pure flattener, and a sink. Its promises:
// - offsets of a partition are committed only after the sink made every row up to them durable;
// - a message the flattener cannot handle, and a row the sink's store refuses, go to the
//   dead-letter topic (awaited, one path for both) and the partition moves on;
// - after any rebalance, uncommitted work is dropped and the sink is told where each partition
//   resumes, so a crash or a move repeats work but never loses or doubles it as stored;
// - a sink failure that may pass (outage, overload, network: isRetryable) pauses the partition and
//   retries the same rows with backoff and jitter, the other partitions and sinks going on;
// - any other sink failure is fatal: the process exits and resumes from the last commit.
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { FlattenResult, Row } from '../../../schemas/flattener.js';
import type { Sink, SinkBatch, WriteResult } from '../../../schemas/sink.js';
import type { TableDefinition } from '../../../schemas/table.js';
import type { OutgoingMessage } from '../../../schemas/topics.js';
import type { Logger } from '../../shared/logger.js';
import { backoffMs, isRetryable } from '../../shared/retry.js';
import { DeadLetterHeaders, deadLetterMessage } from '../../shared/dead-letter.js';
import type { ConsumerMetrics } from './metrics.js';
import { PartitionBuffer, type RollLimits } from './partition-buffer.js';
import { GroupOffsets, isRebalanceError } from './offsets.js';

export { isRebalanceError };

export interface RuntimeOptions {
  /** The table to fill: its consumer (service name, topic, flattener) and its fact key. */
  table: TableDefinition;
  /** The table's generation the sink writes (a rebuild writes the next one); 1 by default. */
  generation?: number;
  kafka: Kafka;
  sink: Sink;
  /** Publishes a message (a dead letter); resolves once acknowledged. */
  publish: (message: OutgoingMessage) => Promise<void>;
  deadLetterTopic: string;
  logger: Logger;
  metrics: ConsumerMetrics;
  limits: RollLimits;
  sessionTimeoutMs?: number;
  /** Facts remembered per partition to skip repeats of cumulative payloads. */
  suppressionSize?: number;
  /** Called when the sink fails for good; the service exits so it restarts from its last commit. */
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

/** A generation's consumer group; generation 1 keeps the name groups had before generations existed. */
export const groupIdFor = (service: string, sink: string, generation = 1) =>
  `thena-lake.${service}.${sink}${generation === 1 ? '' : `.g${generation}`}`;

const bigintAsText = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/** Joins the group and consumes until stopped; see the file's opening comment for the promises. */
export async function startConsumer(opts: RuntimeOptions): Promise<RunningConsumer> {
  const runtime = new ConsumerRuntime(opts);
  await runtime.start();
  return runtime;
}

class ConsumerRuntime implements RunningConsumer {
  readonly groupId: string;
  private readonly consumer: Consumer;
  /** Reads committed offsets' metadata and end offsets for sinks that keep state in commits. */
  private readonly admin: Admin;
  private readonly offsets: GroupOffsets;
  private readonly log: Logger;
  private readonly topic: string;
  private readonly sinkLabel: { sink: string };
  private readonly sessionTimeoutMs: number;
  private readonly limits: RollLimits;
  private readonly buffers = new Map<number, PartitionBuffer>();
  /** Partitions paused for a retry; kafkajs keeps a pause across rebalances. */
  private readonly paused = new Set<number>();
  private generation = 0;
  private rebalancing = false;
  private joined = false;
  private stopping = false;
  private crashed: string | undefined;
  /** When the broker last answered this member (a join, a heartbeat or a fetch). */
  private heardAt = 0;
  /** The latest eachBatch heartbeat: long writes keep the membership alive with it. */
  private heartbeat: (() => Promise<void>) | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private shutdown: Promise<void> | undefined;

  constructor(private readonly o: RuntimeOptions) {
    this.topic = o.table.consumer.topic;
    this.groupId = groupIdFor(o.table.consumer.service, o.sink.name, o.generation);
    this.log = o.logger.child({ component: 'consumer', sink: o.sink.name });
    this.sinkLabel = { sink: o.sink.name };
    this.sessionTimeoutMs = o.sessionTimeoutMs ?? 30_000;
    // A sink may want smaller and fresher batches than the lake's files (BigQuery: each write and
    // its retries short, rows visible within seconds).
    this.limits = {
      ...o.limits,
      maxRows: Math.min(o.sink.maxBatchRows ?? Infinity, o.limits.maxRows),
      maxAgeMs: Math.min(o.sink.maxBatchAgeMs ?? Infinity, o.limits.maxAgeMs),
    };
    this.admin = o.kafka.admin();
    this.consumer = o.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: Math.floor(this.sessionTimeoutMs / 10),
      // Larger fetches than kafkajs's 1 MiB per partition: a consumer catching up waits less on the
      // broker between batches (request-csat catching up: 4.2k -> 5.1k events/s).
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      // kafkajs's stop() waits for the fetch in flight, which an idle broker holds for this long
      // (kafkajs's default 5 s made every shutdown take 5 s; Kafka's Java client waits 0.5 s).
      maxWaitTimeInMs: 1_000,
    });
    this.offsets = new GroupOffsets({
      consumer: this.consumer,
      admin: this.admin,
      groupId: this.groupId,
      topic: this.topic,
      generation: () => this.generation,
    });
    this.watchGroup();
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.admin.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    // Files also close on age when no new message arrives to trigger it.
    this.ticker = setInterval(() => this.rollDue(), Math.min(1000, Math.max(50, this.limits.maxAgeMs / 4)));
    this.log.info({ groupId: this.groupId, topic: this.topic }, 'consuming');
  }

  readiness(): Readiness {
    if (this.stopping) return { ready: false, reason: 'stopping' };
    if (this.crashed) return { ready: false, reason: `the Kafka consumer crashed (${this.crashed}); restarting` };
    if (!this.joined) return { ready: false, reason: 'not yet assigned partitions' };
    if (this.rebalancing) return { ready: false, reason: 'the group is rebalancing' };
    const silentMs = Date.now() - this.heardAt;
    if (silentMs > this.sessionTimeoutMs) {
      return { ready: false, reason: `no answer from Kafka for ${Math.round(silentMs / 1000)} s` };
    }
    return { ready: true };
  }

  get bufferedRows(): number {
    return [...this.buffers.values()].reduce((n, b) => n + b.size, 0);
  }

  stop(): Promise<void> {
    this.shutdown ??= (async () => {
      this.stopping = true;
      clearInterval(this.ticker);
      // Write and commit what is buffered while still a member of the group (after stop(),
      // kafkajs can no longer commit), then leave.
      this.consumer.pause([{ topic: this.topic }]);
      await Promise.allSettled([...this.buffers.values()].map((b) => b.exclusive(() => this.roll(b))));
      await this.consumer.stop();
      await this.consumer.disconnect();
      await this.admin.disconnect();
      await this.o.sink.close();
    })();
    return this.shutdown;
  }

  /** Follows the membership: a new generation drops what was not committed and resumes paused partitions. */
  private watchGroup(): void {
    const { events } = this.consumer;
    const heard = () => (this.heardAt = Date.now());
    this.consumer.on(events.HEARTBEAT, heard);
    this.consumer.on(events.FETCH, heard);
    this.consumer.on(events.REBALANCING, () => (this.rebalancing = true));
    // JoinGroup's answer gives kafkajs the next generation, which its commits carry from then on,
    // while GROUP_JOIN comes only after SyncGroup. The coordinator checks a commit's generation,
    // not who owns the partition: a write started before the answer and committed after it would
    // be accepted for a partition that may now be another member's. From the answer on, nothing
    // started before it may commit or claim.
    this.consumer.on(events.REQUEST, ({ payload }) => {
      if (payload.apiName !== 'JoinGroup') return;
      this.generation++;
      this.rebalancing = true;
    });
    this.consumer.on(events.CRASH, ({ payload }) => {
      this.crashed = payload.error.message;
      this.joined = false;
      // kafkajs restarts the consumer after a failure it deems retriable; after any other (such as
      // "Failed to find group coordinator" while Kafka is away) it stays stopped for good. Exit
      // then, so the supervisor starts the service again and it resumes from its last commit.
      if (!payload.restart && !this.stopping) this.fatal('the Kafka consumer stopped', payload.error);
    });
    this.consumer.on(events.GROUP_JOIN, ({ payload }) => {
      this.generation++;
      this.rebalancing = false;
      this.joined = true;
      this.crashed = undefined;
      heard();
      for (const b of this.buffers.values()) b.reset();
      if (this.paused.size > 0) {
        this.consumer.resume([{ topic: this.topic, partitions: [...this.paused] }]);
        this.paused.clear();
      }
      this.log.info({ assignment: payload.memberAssignment }, 'partitions assigned');
    });
  }

  private buffer(partition: number): PartitionBuffer {
    let b = this.buffers.get(partition);
    if (!b) {
      const key = this.o.table.factKey;
      const factKey = (row: Row) => key.map((c) => String(row[c] ?? '\u0000')).join('\u0001');
      b = new PartitionBuffer(partition, factKey, this.o.suppressionSize ?? 100_000);
      this.buffers.set(partition, b);
    }
    return b;
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, isRunning, isStale } = payload;
    this.heartbeat = payload.heartbeat;
    const b = this.buffer(batch.partition);
    await b.exclusive(async () => {
      if (!b.prepared && batch.messages.length > 0) {
        const resumeOffset = batch.messages[0]!.offset;
        // What the group's commit carries (a sink's claim) goes on with the next commits until the
        // sink replaces it: a commit without it would erase what the partition's next owner needs.
        const metadata = await this.offsets.committedMetadata(batch.partition);
        b.committed = { offset: resumeOffset, metadata: metadata ?? null };
        await this.o.sink.prepare(batch.partition, resumeOffset, this.offsets.assignment(b, metadata));
        b.prepared = true;
      }
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        await this.consume(b, message);
        resolveOffset(message.offset);
      }
      this.o.metrics.lag.set({ ...this.sinkLabel, partition: String(batch.partition) }, Number(batch.offsetLag()));
      if (b.due(this.limits)) await this.roll(b);
    });
    await payload.heartbeat();
  }

  /** Flattens one message into the partition's buffer, or sends it to the dead-letter topic. */
  private async consume(b: PartitionBuffer, message: KafkaMessage): Promise<void> {
    const { metrics, table } = this.o;
    const value = message.value?.toString() ?? '';
    const source = { topic: this.topic, partition: b.partition, offset: message.offset, value };
    let result: FlattenResult;
    try {
      result = table.consumer.flatten(source);
    } catch (err) {
      result = { kind: 'dead-letter', reason: 'flatten_failed', message: (err as Error).message };
    }
    if (result.kind === 'dead-letter') {
      await this.deadLetter({
        source: table.consumer.service,
        reason: result.reason,
        message: result.message,
        rawBody: value,
        origin: { topic: this.topic, partition: b.partition, offset: message.offset },
        // A message a redrive sent again carries its count; failing again keeps it.
        retryCount: Number(message.headers?.[DeadLetterHeaders.retryCount]?.toString() ?? 0),
      });
    } else {
      for (const [what, n] of Object.entries(result.counts ?? {})) {
        metrics.flattenCounts.inc({ ...this.sinkLabel, what }, n);
      }
    }
    const suppressed = b.add(message.offset, result.kind === 'rows' ? result.rows : []);
    if (suppressed > 0) metrics.suppressed.inc({ ...this.sinkLabel, table: table.name }, suppressed);
    metrics.messages.inc(this.sinkLabel);
  }

  /** The one dead-letter path: flattener failures and rows the sink's store refused. */
  private async deadLetter(record: {
    source: string;
    reason: string;
    message: string;
    rawBody: string;
    origin: { topic: string; partition: number; offset: string };
    retryCount?: number;
  }): Promise<void> {
    await this.o.publish(deadLetterMessage({ topic: this.o.deadLetterTopic, ...record }));
    this.o.metrics.deadLetters.inc({ ...this.sinkLabel, reason: record.reason });
    this.log.warn(
      { origin: record.origin, reason: record.reason, err: record.message },
      'sent to the dead-letter topic',
    );
  }

  /** Rolls every partition whose file is due (by age, or a retry whose wait is over). */
  private rollDue(): void {
    if (this.rebalancing || this.stopping) return;
    for (const b of this.buffers.values()) {
      if (b.due(this.limits)) void b.exclusive(() => this.roll(b)).catch(() => undefined);
    }
  }

  /** Writes what a partition buffered, dead-letters what the store refused, then commits. */
  private async roll(b: PartitionBuffer): Promise<void> {
    const batch = b.take();
    if (!batch) return;
    const startedIn = this.generation;
    const timer = this.o.metrics.rollSeconds.startTimer(this.sinkLabel);
    const written = await this.write(b, batch, startedIn);
    if (!written) return;
    if (!(await this.commit(b, batch, written, startedIn))) return;
    timer();
    if (b.attempts > 0) this.resumeAfterRetry(b, batch.partition);
    this.o.metrics.commits.inc(this.sinkLabel);
    this.o.metrics.rows.inc(
      { ...this.sinkLabel, table: this.o.table.name },
      batch.rows.length - written.refused.length,
    );
  }

  /**
   * Makes the batch durable and dead-letters what the store refused. Undefined when it did not:
   * the partition moved meanwhile (the write is undone) or the write will be retried.
   */
  private async write(b: PartitionBuffer, batch: SinkBatch, startedIn: number): Promise<WriteResult | undefined> {
    const { sink } = this.o;
    // kafkajs heartbeats only between batches; a long write (many insertAll calls) would otherwise
    // outlive the session and get this member evicted.
    const beat = setInterval(() => void this.heartbeat?.().catch(() => undefined), 2_000);
    try {
      const result = batch.rows.length > 0 ? await sink.writeBatch(batch) : { refused: [] };
      for (const r of result.refused) {
        await this.deadLetter({
          source: `${this.o.table.consumer.service}/${sink.name}`,
          reason: `${sink.name}_${r.reason}`,
          message: r.message,
          rawBody: JSON.stringify(r.row, bigintAsText),
          origin: { topic: this.topic, partition: batch.partition, offset: `${batch.firstOffset}-${batch.lastOffset}` },
        });
      }
      return result;
    } catch (err) {
      if (startedIn !== this.generation) {
        // The partition moved meanwhile: its new owner re-reads these; remove what was written.
        await sink.discard(batch).catch(() => undefined);
        return undefined;
      }
      if (isRetryable(err)) {
        this.retryLater(b, batch, err);
        return undefined;
      }
      const range = `${batch.firstOffset}-${batch.lastOffset}`;
      this.fatal(`${sink.name} sink could not write partition ${batch.partition} offsets ${range}`, err);
      throw err;
    } finally {
      clearInterval(beat);
    }
  }

  /** Puts the batch back and pauses the partition until the backoff has passed. */
  private retryLater(b: PartitionBuffer, batch: SinkBatch, err: unknown): void {
    b.restore(batch);
    b.attempts++;
    const wait = backoffMs(b.attempts, { initialMs: 500, maxMs: 30_000 });
    b.retryAt = Date.now() + wait;
    if (!this.paused.has(batch.partition)) {
      this.consumer.pause([{ topic: this.topic, partitions: [batch.partition] }]);
      this.paused.add(batch.partition);
    }
    this.o.metrics.retries.inc(this.sinkLabel);
    this.log.warn(
      { err, partition: batch.partition, attempt: b.attempts, waitMs: wait },
      'sink write failed; partition paused, retrying',
    );
  }

  private resumeAfterRetry(b: PartitionBuffer, partition: number): void {
    this.log.info({ partition, attempts: b.attempts }, 'sink write succeeded after retries; partition resumed');
    b.attempts = 0;
    b.retryAt = 0;
    if (this.paused.delete(partition)) this.consumer.resume([{ topic: this.topic, partitions: [partition] }]);
  }

  /**
   * Commits the batch's offsets, with what the sink asked to keep (or what it kept last); false
   * (the write undone) when the group rebalanced meanwhile.
   */
  private async commit(
    b: PartitionBuffer,
    batch: SinkBatch,
    written: WriteResult,
    startedIn: number,
  ): Promise<boolean> {
    const offset = (BigInt(batch.lastOffset) + 1n).toString();
    const metadata = written.commitMetadata ?? b.committed?.metadata ?? null;
    try {
      await this.offsets.commit(b, offset, metadata, startedIn);
      return true;
    } catch (err) {
      await this.o.sink.discard(batch);
      // The broker may know of a rebalance before this member does (its join has not happened
      // yet): the commit is then refused for a stale generation. Either way kafkajs rejoins, and
      // whoever owns the partition afterwards resumes from the last commit.
      if (startedIn !== this.generation || isRebalanceError(err)) {
        this.log.warn(
          { err, partition: batch.partition },
          'the group rebalanced during the write; discarded it, the messages will be consumed again',
        );
        return false;
      }
      // Still the owner, yet the commit failed: kafkajs would not fetch these offsets again, so
      // carrying on would skip them. Restart from the last commit instead.
      this.fatal(`could not commit partition ${batch.partition} after writing`, err);
      throw err;
    }
  }

  private fatal(what: string, err: unknown): void {
    this.o.onFatal(new Error(`${what}: ${(err as Error).message}`, { cause: err }));
  }
}
