// The consuming runtime every consumer service shares: one kafkajs consumer group per
// (table, sink), the table's pure flattener, and a sink. Its promises:
// - offsets of a partition are committed only after the sink made every row up to them durable;
// - no single message stops a table: a message the flattener rejects or cannot handle, and a batch
//   the sink cannot write for good, are narrowed down to the one message at fault (narrow.ts), which
//   goes to the dead-letter topic (dead-letters.ts); the partition moves on once that is acknowledged;
// - after any rebalance, uncommitted work is dropped and the sink is told where each partition
//   resumes, so a crash or a move repeats work but never loses or doubles it as stored;
// - a sink failure that may pass (outage, overload, network: isRetryable) or that is the store's
//   own (a full disk, a permission: isEnvironmental) pauses the partition and retries the same rows
//   with backoff and jitter for as long as it lasts (retries.ts), the other partitions going on.
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Row } from '../../../schemas/flattener.js';
import type { Sink, WriteResult } from '../../../schemas/sink.js';
import type { TableDefinition } from '../../../schemas/table.js';
import type { OutgoingMessage } from '../../../schemas/topics.js';
import type { Logger } from '../../shared/logger.js';
import { consumerRetry } from '../../shared/kafka.js';
import { isEnvironmental, isRetryable } from '../../shared/retry.js';
import { DeadLetterHeaders } from '../../shared/dead-letter.js';
import type { ConsumerMetrics } from './metrics.js';
import { PartitionBuffer, type Batch, type RollLimits } from './partition-buffer.js';
import { GroupOffsets, isPassingKafkaError, isRebalanceError } from './offsets.js';
import { DeadLetters, redrivenFor } from './dead-letters.js';
import { PartitionRetries } from './retries.js';
import { halves, joined, maxTries, withoutRows } from './narrow.js';
import { GroupMembership, type Readiness } from './membership.js';
import { fetchMinBytes, fetchWaitMs } from './fetch.js';
import { rowsOf, type SharedReads } from './shared-reads.js';

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
  /** The longest wait between two tries of a failed sink write (CONSUMER_RETRY_MAX_MS; its default if unset). */
  retryMaxMs?: number;
  /** Facts remembered per partition to skip repeats of cumulative payloads. */
  suppressionSize?: number;
  /** Rows flattened once for every sink of the service (shared-reads.ts); each sink reads alone without it. */
  shared?: SharedReads;
  /**
   * Called when the service cannot go on (a commit refused while still the owner, a Kafka consumer
   * stopped for good); the service exits so it restarts from its last commit.
   */
  onFatal: (err: Error) => void;
}

export type { Readiness };

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

/** What became of a batch's write and commit. */
type Step = { kind: 'done' } | { kind: 'stopped' } | { kind: 'retry'; err: unknown } | { kind: 'failed'; err: unknown };

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
  private readonly deadLetters: DeadLetters;
  private readonly retries: PartitionRetries;
  private readonly group: GroupMembership;
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
      // Larger fetches than kafkajs's 1 MiB per partition (catching up, request-csat: 4.2k -> 5.1k/s).
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      // Not kafkajs's one byte, which made each message arriving alone a fetch of its own (fetch.ts).
      minBytes: fetchMinBytes,
      maxWaitTimeInMs: fetchWaitMs(this.limits.maxAgeMs),
      retry: consumerRetry(() => this.group.stopping),
    });
    this.deadLetters = new DeadLetters({
      publish: o.publish,
      topic: o.deadLetterTopic,
      origin: this.topic,
      service: o.table.consumer.service,
      sink: o.sink.name,
      metrics: o.metrics,
      logger: this.log,
    });
    this.retries = new PartitionRetries({
      consumer: this.consumer,
      topic: this.topic,
      sinkLabel: this.sinkLabel,
      maxMs: o.retryMaxMs,
      metrics: o.metrics,
      logger: this.log,
    });
    this.offsets = new GroupOffsets({
      consumer: this.consumer,
      admin: this.admin,
      groupId: this.groupId,
      topic: this.topic,
      generation: () => this.group.generation,
    });
    this.group = new GroupMembership(this.consumer, this.sessionTimeoutMs, {
      joined: (assignment) => {
        for (const b of this.buffers.values()) b.reset();
        this.retries.resumeAll();
        this.log.info({ assignment }, 'partitions assigned');
      },
      // Exit then, so the supervisor starts the service again and it resumes from its last commit.
      stoppedForGood: (err) => this.fatal('the Kafka consumer stopped', err),
    });
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
    return this.group.readiness();
  }

  get bufferedRows(): number {
    return [...this.buffers.values()].reduce((n, b) => n + b.size, 0);
  }

  stop(): Promise<void> {
    this.shutdown ??= (async () => {
      this.group.stopping = true;
      clearInterval(this.ticker);
      // Write and commit what is buffered while a member (after stop(), kafkajs cannot commit).
      if (!this.group.givenUp) this.consumer.pause([{ topic: this.topic }]);
      await Promise.allSettled([...this.buffers.values()].map((b) => b.exclusive(() => this.roll(b))));
      await this.consumer.stop();
      await this.consumer.disconnect();
      await this.admin.disconnect();
      await this.o.sink.close();
    })();
    return this.shutdown;
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

  /**
   * Flattens one message into the partition's buffer. A message the flattener rejects, or that makes
   * it throw `maxTries` times, is dead-lettered (awaited) instead; one a redrive sent back for
   * another service or sink is passed over.
   */
  private async consume(b: PartitionBuffer, message: KafkaMessage): Promise<void> {
    const { metrics, table, sink } = this.o;
    const header = (name: string) => message.headers?.[name]?.toString();
    const held = {
      offset: message.offset,
      value: message.value,
      retryCount: Number(header(DeadLetterHeaders.retryCount) ?? 0),
    };
    if (!redrivenFor(header(DeadLetterHeaders.redriveFor), table.consumer.service, sink.name)) {
      b.add(held, []);
      metrics.redriveSkipped.inc(this.sinkLabel);
      return;
    }
    const out = rowsOf(table.consumer.flatten, this.topic, b.partition, message, header, this.o.shared);
    if ('failure' in out) await this.deadLetters.message(b.partition, held, out.failure);
    else for (const [what, n] of Object.entries(out.counts)) metrics.flattenCounts.inc({ ...this.sinkLabel, what }, n);
    const suppressed = b.add(held, 'rows' in out ? out.rows : []);
    if (suppressed > 0) metrics.suppressed.inc({ ...this.sinkLabel, table: table.name }, suppressed);
    metrics.messages.inc(this.sinkLabel);
  }

  /** Rolls every partition whose file is due (by age, or a retry whose wait is over). */
  private rollDue(): void {
    if (this.group.rebalancing || this.group.stopping) return;
    for (const b of this.buffers.values()) {
      if (b.due(this.limits)) void b.exclusive(() => this.roll(b)).catch(() => undefined);
    }
  }

  /**
   * Writes what a partition buffered and commits it. A batch the sink cannot write for a reason
   * retrying cannot fix is narrowed: its halves are written and committed in offset order, a half
   * that fails is split again, and the one message that fails alone `maxTries` times is
   * dead-lettered and committed past. A failure that may pass puts back what is left for a retry.
   */
  private async roll(b: PartitionBuffer): Promise<void> {
    const batch = b.take();
    if (!batch) return;
    const startedIn = this.group.generation;
    const pending: Batch[] = [batch];
    for (let next = pending.shift(); next; next = pending.shift()) {
      const step = await this.writeAndCommit(b, next, startedIn);
      if (step.kind === 'done') continue;
      if (step.kind === 'stopped') return;
      if (step.kind === 'retry') {
        this.retries.later(b, joined([next, ...pending]), step.err);
        return;
      }
      // Whatever the failed write made durable is withdrawn before its parts are written.
      await this.o.sink.discard(next).catch(() => undefined);
      if (next.messages.length > 1) {
        pending.unshift(...halves(next));
        continue;
      }
      const [held] = next.messages;
      if (++held!.failures < maxTries) {
        pending.unshift(next);
        continue;
      }
      try {
        await this.deadLetters.message(next.partition, held!, {
          kind: 'poison',
          stage: 'write',
          reason: `${this.o.sink.name}_write_failed`,
          message: `${(step.err as Error).message} (failed alone ${maxTries} times)`,
        });
      } catch (err) {
        // Not acknowledged: the partition may not move past the message. Put it back and retry.
        this.retries.later(b, joined([next, ...pending]), err);
        return;
      }
      pending.unshift(withoutRows(next));
    }
  }

  /** Writes a batch and commits its offsets: what happened, for roll() to act on. */
  private async writeAndCommit(b: PartitionBuffer, batch: Batch, startedIn: number): Promise<Step> {
    const timer = this.o.metrics.rollSeconds.startTimer(this.sinkLabel);
    let written: WriteResult;
    try {
      written = await this.write(batch);
      await this.deadLetters.refused(batch, written.refused);
    } catch (err) {
      if (startedIn !== this.group.generation) {
        // The partition moved meanwhile: its new owner re-reads these; remove what was written.
        await this.o.sink.discard(batch).catch(() => undefined);
        return { kind: 'stopped' };
      }
      // An outage, or a failure of the store itself (a full disk, a permission): waited out, since
      // no message is to blame. Anything else may be one message's doing: narrowed down to it.
      return isRetryable(err) || isEnvironmental(err) ? { kind: 'retry', err } : { kind: 'failed', err };
    }
    const committed = await this.commit(b, batch, written, startedIn);
    if (committed.kind !== 'done') return committed;
    timer();
    this.retries.succeeded(b);
    this.o.metrics.commits.inc(this.sinkLabel);
    this.o.metrics.rows.inc(
      { ...this.sinkLabel, table: this.o.table.name },
      batch.rows.length - written.refused.length,
    );
    return { kind: 'done' };
  }

  /** Makes the batch durable; kafkajs's heartbeats go on meanwhile. */
  private async write(batch: Batch): Promise<WriteResult> {
    if (batch.rows.length === 0) return { refused: [] };
    // kafkajs beats only between batches: a long write would outlive the session without these.
    const beat = setInterval(() => void this.heartbeat?.().catch(() => undefined), this.sessionTimeoutMs / 10);
    try {
      return await this.o.sink.writeBatch(batch);
    } finally {
      clearInterval(beat);
    }
  }

  /**
   * Commits the batch's offsets, with what the sink asked to keep (or what it kept last). When the
   * commit fails the write is undone (as far as the sink can: see Sink.discard), and the batch is
   * dropped (a rebalance: whoever owns the partition resumes from the last commit) or tried again.
   */
  private async commit(b: PartitionBuffer, batch: Batch, written: WriteResult, startedIn: number): Promise<Step> {
    const offset = (BigInt(batch.lastOffset) + 1n).toString();
    const metadata = written.commitMetadata ?? b.committed?.metadata ?? null;
    try {
      await this.offsets.commit(b, offset, metadata, startedIn);
      return { kind: 'done' };
    } catch (err) {
      await this.o.sink.discard(batch);
      // The broker may know of a rebalance before this member does (its join has not happened
      // yet): the commit is then refused for a stale generation. Either way kafkajs rejoins.
      if (startedIn !== this.group.generation || isRebalanceError(err)) {
        this.log.warn({ err, partition: batch.partition }, 'the group rebalanced during the write; discarded it');
        return { kind: 'stopped' };
      }
      // A coordinator lost with its broker: the batch waits in the paused partition's buffer, and
      // kafkajs, no longer blocked by this partition, rejoins the group at its next heartbeat.
      if (isPassingKafkaError(err)) return { kind: 'retry', err };
      // Refused for good while still the owner: kafkajs would not fetch these offsets again, so
      // carrying on would skip them. Restart from the last commit instead.
      this.fatal(`could not commit partition ${batch.partition} after writing`, err);
      throw err;
    }
  }

  private fatal(what: string, err: unknown): void {
    this.o.onFatal(new Error(`${what}: ${(err as Error).message}`, { cause: err }));
  }
}
