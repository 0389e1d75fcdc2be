// A table's consumer service, less its process: a follower per sink on the table's current
// generation (runtime/follower.ts), all following rebuilds through the control topic and sharing
// each message's rows (runtime/shared-reads.ts), and the version-gap gauge. main.ts runs one per process; tests run one in-process.
import { Gauge, type Registry } from 'prom-client';
import type { Kafka } from 'kafkajs';
import type { GenerationStore } from '../../schemas/sink.js';
import type { TableDefinition } from '../../schemas/table.js';
import { topics, type OutgoingMessage } from '../../schemas/topics.js';
import { followControl } from '../shared/control.js';
import type { Logger } from '../shared/logger.js';
import { GenerationFollower } from './runtime/follower.js';
import { consumerMetrics } from './runtime/metrics.js';
import type { RollLimits } from './runtime/partition-buffer.js';
import { SharedReads } from './runtime/shared-reads.js';

export interface FollowTableOptions {
  table: TableDefinition;
  stores: GenerationStore[];
  kafka: Kafka;
  publish: (m: OutgoingMessage) => Promise<void>;
  limits: RollLimits;
  sessionTimeoutMs?: number;
  retryMaxMs?: number;
  registry: Registry;
  logger: Logger;
  /** A sink failure retrying cannot fix: the service should restart from its last commit. */
  onFatal: (err: Error) => void;
}

export async function followTable(o: FollowTableOptions) {
  const behind = new Gauge({
    name: 'thena_table_version_behind',
    help: 'Declared table version minus that of the generation the views read; above 0, run npm run rebuild.',
    labelNames: ['table', 'sink'] as const,
    registers: [o.registry],
  });
  const metrics = consumerMetrics(o.registry);
  // The sinks' groups read the same messages: each is flattened once for all of them.
  const shared = o.stores.length > 1 ? new SharedReads(o.stores.length) : undefined;
  const followers = o.stores.map(
    (store) =>
      new GenerationFollower({
        store,
        table: o.table,
        kafka: o.kafka,
        publish: o.publish,
        deadLetterTopic: topics.deadLetter.name,
        logger: o.logger,
        metrics,
        limits: o.limits,
        shared,
        ...(o.sessionTimeoutMs ? { sessionTimeoutMs: o.sessionTimeoutMs } : {}),
        ...(o.retryMaxMs ? { retryMaxMs: o.retryMaxMs } : {}),
        onVersion: (gap) => behind.set({ table: o.table.name, sink: store.sink }, gap),
        onFatal: o.onFatal,
      }),
  );
  const control = await followControl(o.kafka, async (_key, record) => {
    await Promise.all(followers.map((f) => f.onControl(record)));
  });
  await Promise.all(followers.map((f) => f.start()));
  return {
    followers,
    /** Stops every follower (each writes and commits what it holds), then the control reader. */
    stop: async () => {
      await Promise.allSettled(followers.map((f) => f.stop()));
      await control.stop();
    },
  };
}
