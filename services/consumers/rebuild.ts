// Rebuilds one table in one sink from the whole history of its topic, blue/green:
//   1. the next generation is prepared beside the current one, and a consumer group of its own
//      reads the topic from the start with the current flattener into it;
//   2. once it has nearly caught up, the services are asked to pause the current generation
//      (`freeze`): they write and commit what they hold and leave its group;
//   3. the new generation catches up exactly with where the current one stopped;
//   4. the table's views switch to it in one step (`switched`), and the services go on writing
//      it from there;
//   5. after a grace period the old generation is removed (`done`).
// Queries read the old generation until the switch and the new one after: never both, never
// less. Each step is recorded on the control topic, so a rebuild killed at any point and run
// again carries on from where it was and ends with the same result.
import type { Admin, Kafka } from 'kafkajs';
import type { GenerationRecord } from '../../schemas/control.js';
import { generationKey } from '../../schemas/control.js';
import type { Generation, GenerationStore } from '../../schemas/sink.js';
import type { TableDefinition } from '../../schemas/table.js';
import type { ControlWriter } from '../shared/control.js';
import type { Logger } from '../shared/logger.js';
import type { Progress } from '../shared/progress.js';
import type { ConsumerMetrics } from './runtime/metrics.js';
import { groupIdFor, startConsumer, type RuntimeOptions } from './runtime/runtime.js';

export interface RebuildOptions {
  table: TableDefinition;
  store: GenerationStore;
  kafka: Kafka;
  control: ControlWriter;
  /** The control topic's latest records, read at start. */
  controlState: ReadonlyMap<string, unknown>;
  publish: RuntimeOptions['publish'];
  deadLetterTopic: string;
  logger: Logger;
  metrics: ConsumerMetrics;
  /** Rebuild even when the current generation has the declared version. */
  force?: boolean;
  /** How long the old generation stays after the switch, for queries that started before it. */
  keepOldMs?: number;
  /** How long the services may take to pause before the rebuild gives up. */
  pauseTimeoutMs?: number;
  /**
   * The rebuild's group session (KAFKA_SESSION_TIMEOUT_MS): a run started again after one was
   * killed waits this long for the killed run's member to lapse before it can take the partitions.
   */
  sessionTimeoutMs?: number;
  /** The longest wait between two tries of a failed write (CONSUMER_RETRY_MAX_MS), as for the services. */
  retryMaxMs?: number;
  progress: Progress;
}

export interface RebuildReport {
  table: string;
  sink: string;
  outcome: 'rebuilt' | 'up to date';
  from?: number;
  to?: number;
  events?: number;
}

/** Offsets per partition, as numbers (a partition with nothing committed counts as 0). */
type Offsets = Map<number, bigint>;

async function endOffsets(admin: Admin, topic: string): Promise<Offsets> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
}

async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Offsets> {
  const [found] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((found?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset === '-1' ? 0 : p.offset)]));
}

const sum = (o: Offsets) => Number([...o.values()].reduce((a, b) => a + b, 0n));
const covers = (have: Offsets, want: Offsets) => [...want].every(([p, off]) => (have.get(p) ?? 0n) >= off);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where a rebuild stands: where to resume one that was cut off, or the next generation to build. */
async function plan(
  o: RebuildOptions,
): Promise<{ current: Generation; next: Generation; resumed: boolean } | undefined> {
  const { table, store } = o;
  const current = await store.current(table);
  const record = o.controlState.get(generationKey(store.sink, table.name)) as GenerationRecord | undefined;
  const unfinished = record && (record.phase === 'building' || record.phase === 'freeze');
  if (unfinished && record.next === current.generation) {
    // Killed after the switch, before it was recorded: the old generation is the one before.
    return { current: { generation: record.current, version: 0 }, next: current, resumed: true };
  }
  if (unfinished && record.current === current.generation && record.version === table.version) {
    return { current, next: { generation: record.next!, version: record.version }, resumed: true };
  }
  if (record?.phase === 'switched' && record.current === current.generation && record.previous !== undefined) {
    // Killed while the old generation waited to be removed.
    return { current: { generation: record.previous, version: 0 }, next: current, resumed: true };
  }
  if (!o.force && current.version >= table.version) return undefined;
  return { current, next: { generation: current.generation + 1, version: table.version }, resumed: false };
}

type Record = (
  phase: GenerationRecord['phase'],
  generations: Pick<GenerationRecord, 'current' | 'next' | 'previous'>,
) => Promise<void>;

export async function rebuild(o: RebuildOptions): Promise<RebuildReport> {
  const { table, store } = o;
  const planned = await plan(o);
  if (!planned) return { table: table.name, sink: store.sink, outcome: 'up to date' };
  const { current, next } = planned;
  const admin = o.kafka.admin();
  await admin.connect();
  const record: Record = (phase, generations) =>
    o.control.publish(generationKey(store.sink, table.name), {
      kind: 'generation',
      table: table.name,
      sink: store.sink,
      ...generations,
      phase,
      version: next.version,
      at: new Date().toISOString(),
    });
  try {
    if ((await store.current(table)).generation !== next.generation) {
      await writeNextGeneration(o, admin, planned, record);
      await store.switchTo(table, next);
    }
    await record('switched', { current: next.generation, previous: current.generation });
    o.logger.info({ table: table.name, sink: store.sink, generation: next.generation }, 'switched');
    await sleep(o.keepOldMs ?? 60_000);
    await store.remove(table, current.generation);
    await record('done', { current: next.generation });
    const building = groupIdFor(table.consumer.service, store.sink, next.generation);
    const events = sum(await committedOffsets(admin, building, table.consumer.topic));
    return {
      table: table.name,
      sink: store.sink,
      outcome: 'rebuilt',
      from: current.generation,
      to: next.generation,
      events,
    };
  } finally {
    await admin.disconnect();
  }
}

/** Steps 1 to 3: the next generation written from the whole history, caught up exactly with the current one. */
async function writeNextGeneration(
  o: RebuildOptions,
  admin: Admin,
  { current, next, resumed }: { current: Generation; next: Generation; resumed: boolean },
  record: Record,
): Promise<void> {
  const { table, store } = o;
  const topic = table.consumer.topic;
  const live = groupIdFor(table.consumer.service, store.sink, current.generation);
  const building = groupIdFor(table.consumer.service, store.sink, next.generation);
  if (!resumed) await startAfresh(o, admin, next, building);
  await record('building', { current: current.generation, next: next.generation });
  await store.prepare(table, next);
  const consumer = await startConsumer(runtimeOptions(o, next.generation, await store.writer(table, next.generation)));
  try {
    await catchUp(o, admin, building, topic, 1_000);
    await record('freeze', { current: current.generation, next: next.generation });
    await waitUntilPaused(o, admin, live);
    await until(o, admin, building, topic, await committedOffsets(admin, live, topic));
  } finally {
    await consumer.stop();
  }
}

/**
 * Gives up a rebuild that was cut off: the services go back to writing the current generation (if
 * they were paused), and what was written of the next one is removed. False if there was none.
 */
export async function abandon(
  o: Pick<RebuildOptions, 'table' | 'store' | 'kafka' | 'control' | 'controlState'>,
): Promise<boolean> {
  const { table, store } = o;
  const record = o.controlState.get(generationKey(store.sink, table.name)) as GenerationRecord | undefined;
  if (!record || (record.phase !== 'building' && record.phase !== 'freeze')) return false;
  const current = await store.current(table);
  if (current.generation !== record.current) return false; // it switched: carry it on instead
  await o.control.publish(generationKey(store.sink, table.name), {
    kind: 'generation',
    table: table.name,
    sink: store.sink,
    current: record.current,
    phase: 'switched',
    version: current.version,
    at: new Date().toISOString(),
  });
  const admin = o.kafka.admin();
  await admin.connect();
  try {
    await startAfresh(
      o as RebuildOptions,
      admin,
      { generation: record.next!, version: record.version },
      groupIdFor(table.consumer.service, store.sink, record.next),
    );
  } finally {
    await admin.disconnect();
  }
  return true;
}

/** A new rebuild drops what an abandoned one may have left of the same generation. */
async function startAfresh(o: RebuildOptions, admin: Admin, next: Generation, groupId: string): Promise<void> {
  await o.store.remove(o.table, next.generation).catch(() => undefined);
  await admin.deleteGroups([groupId]).catch(() => undefined);
}

function runtimeOptions(o: RebuildOptions, generation: number, sink: RuntimeOptions['sink']): RuntimeOptions {
  return {
    table: o.table,
    generation,
    kafka: o.kafka,
    sink,
    publish: o.publish,
    deadLetterTopic: o.deadLetterTopic,
    logger: o.logger,
    metrics: o.metrics,
    ...(o.sessionTimeoutMs ? { sessionTimeoutMs: o.sessionTimeoutMs } : {}),
    ...(o.retryMaxMs ? { retryMaxMs: o.retryMaxMs } : {}),
    // Large files while catching up; a short age so commits follow closely near the end.
    limits: { maxRows: 100_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: 1_000 },
    onFatal: (err) => {
      o.logger.fatal({ err }, 'the rebuild could not write; run it again to carry on');
      process.exit(1);
    },
  };
}

/** Waits until the rebuild's group is within `slack` messages of the topic's end, reporting progress. */
async function catchUp(o: RebuildOptions, admin: Admin, groupId: string, topic: string, slack: number): Promise<void> {
  for (;;) {
    const [end, done] = await Promise.all([endOffsets(admin, topic), committedOffsets(admin, groupId, topic)]);
    o.progress.update(sum(done), sum(end));
    if (sum(end) - sum(done) <= slack) return;
    await sleep(1_000);
  }
}

/** Waits until no service consumes the current generation any more: its group has no members. */
async function waitUntilPaused(o: RebuildOptions, admin: Admin, groupId: string): Promise<void> {
  const deadline = Date.now() + (o.pauseTimeoutMs ?? 120_000);
  for (;;) {
    const [group] = (await admin.describeGroups([groupId])).groups;
    if (!group || group.members.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${groupId} still has ${group.members.length} members after ${(o.pauseTimeoutMs ?? 120_000) / 1000} s: ` +
          'do the consumer services run a version that follows rebuilds? Run the rebuild again once they do.',
      );
    }
    await sleep(500);
  }
}

/** Waits until the rebuild's group has committed at least `target` on every partition. */
async function until(o: RebuildOptions, admin: Admin, groupId: string, topic: string, target: Offsets): Promise<void> {
  for (;;) {
    const done = await committedOffsets(admin, groupId, topic);
    o.progress.update(sum(done), sum(target));
    if (covers(done, target)) return;
    await sleep(250);
  }
}
