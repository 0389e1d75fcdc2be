// Helpers for lake tests: a fresh topic pair, envelopes published as the ingress would, and the
// consumer services run in-process with the real runtime and Parquet sink.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { createKafka, createProducer, ensureTopics } from '../../services/shared/kafka.js';
import { createLogger } from '../../services/shared/logger.js';
import { createRegistry } from '../../services/shared/metrics.js';
import { classify } from '../../services/ingress/webhook.js';
import { eventEnvelope } from '../../services/ingress/envelope.js';
import { consumerMetrics } from '../../services/consumers/runtime/metrics.js';
import { startConsumer, type RunningConsumer } from '../../services/consumers/runtime/runtime.js';
import { parquetSink } from '../../services/lake/sink.js';
import { lakeGenerations, openStore, type LakeStore } from '../../services/lake/index.js';
import { uniqueName } from './wait.js';
import type { Sink } from '../../schemas/sink.js';
import type { TableDefinition } from '../../schemas/table.js';
import { topics } from '../../schemas/topics.js';
import { tableOfService } from '../../tables/catalogue.js';

export const quietLogger = createLogger('lake-test', { LOG_LEVEL: 'fatal' });

export interface LakeFixture {
  kafka: Kafka;
  eventsTopic: string;
  dlqTopic: string;
  lakeDir: string;
  /** Where the consumers write and readers read: `lakeDir`, or a bucket's store. */
  lake: string | LakeStore;
  /** Publishes webhook bodies (objects) as envelopes keyed by request_id; returns their eventIds. */
  publish(bodies: unknown[], workspace?: string): Promise<string[]>;
  /** Publishes raw values (for messages no flattener can read). */
  publishRaw(values: { key: string; value: string }[]): Promise<void>;
  /**
   * Starts a table's consumer in-process (a catalogue table by its service name, or any table
   * definition), reading the fixture's topics (or `limits.topic`), into the lake or the given sink.
   */
  consume(
    table: string | TableDefinition,
    limits?: {
      maxRows?: number;
      maxAgeMs?: number;
      sessionTimeoutMs?: number;
      topic?: string;
      /** What the service does when it cannot go on (exit, to be restarted); throws by default. */
      onFatal?: (err: Error) => void;
    },
    sink?: (table: TableDefinition) => Sink,
  ): Promise<RunningConsumer>;
  /** Publishes a dead-letter message (as the services' sinks do). */
  publishMessage(m: {
    topic: string;
    key: string | null;
    value: string;
    headers?: Record<string, string>;
  }): Promise<void>;
  close(): Promise<void>;
}

/**
 * `bucket`: the lake in a bucket on fake-gcs-server under a prefix of the fixture's own, written
 * through the generation store (as the services write it); otherwise a fresh local folder.
 */
export async function lakeFixture(
  brokers: string[],
  bucket?: { endpoint: string; name: string },
): Promise<LakeFixture> {
  const kafka = createKafka({ clientId: 'lake-test', brokers, logger: quietLogger });
  const eventsTopic = uniqueName('test.events');
  const dlqTopic = uniqueName('test.dlq');
  await ensureTopics(kafka, [
    { name: eventsTopic, partitions: 3, description: 'test', config: {} },
    { name: dlqTopic, partitions: 1, description: 'test', config: {} },
  ]);
  const producer = createProducer(kafka);
  await producer.connect();
  const lakeDir = mkdtempSync(join(tmpdir(), 'thena-lake-'));
  const lake: string | LakeStore = bucket
    ? openStore(
        { kind: 'gcs', bucket: bucket.name, prefix: uniqueName('lake'), endpoint: bucket.endpoint },
        { scratchDir: join(lakeDir, 'scratch') },
      )
    : lakeDir;
  const running: RunningConsumer[] = [];

  return {
    kafka,
    eventsTopic,
    dlqTopic,
    lakeDir,
    lake,
    async publish(bodies, workspace) {
      const ids: string[] = [];
      const messages = bodies.map((body) => {
        const result = classify(JSON.stringify(body));
        if (result.kind !== 'accepted') throw new Error(`test body rejected: ${JSON.stringify(result.details)}`);
        ids.push(result.eventId);
        return { key: result.requestId, value: eventEnvelope(result, new Date(), workspace) };
      });
      await producer.send({ topic: eventsTopic, acks: -1, messages });
      return ids;
    },
    async publishRaw(values) {
      await producer.send({ topic: eventsTopic, acks: -1, messages: values });
    },
    async publishMessage(m) {
      await producer.send({ topic: m.topic, acks: -1, messages: [{ key: m.key, value: m.value, headers: m.headers }] });
    },
    async consume(table, limits = {}, sink) {
      const declared = typeof table === 'string' ? tableOfService(table) : table;
      if (!declared) throw new Error(`no table has a consumer named ${String(table)}`);
      const { consumer: c } = declared;
      // A group and topics of this fixture's own.
      const consumer = await startConsumer({
        table: {
          ...declared,
          consumer: {
            ...c,
            service: uniqueName(c.service),
            topic: limits.topic ?? (c.topic === topics.deadLetter.name ? dlqTopic : eventsTopic),
          },
        },
        kafka,
        sink: sink
          ? sink(declared)
          : typeof lake === 'string'
            ? parquetSink({ lakeDir, table: declared })
            : await lakeGenerations(lake).writer(declared, 1),
        publish: async (m) => void (await producer.send({ topic: m.topic, acks: -1, messages: [m] })),
        deadLetterTopic: dlqTopic,
        logger: quietLogger,
        metrics: consumerMetrics(createRegistry(c.service)),
        limits: { maxRows: limits.maxRows ?? 10_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: limits.maxAgeMs ?? 500 },
        sessionTimeoutMs: limits.sessionTimeoutMs,
        onFatal:
          limits.onFatal ??
          ((err) => {
            throw err;
          }),
      });
      running.push(consumer);
      return consumer;
    },
    async close() {
      await Promise.allSettled(running.map((c) => c.stop()));
      await producer.disconnect();
    },
  };
}
