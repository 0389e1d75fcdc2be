// `npm run backfill` against a real broker and the BigQuery emulator, run as a child process the way
// an operator runs it, reading the fake Thena requests API. The broker is one of the file's own
// (fresh, on the outage ports, as the consumer-crash test does), since the command publishes to the
// pipeline's own topic names; the request-events consumer runs in-process into a lake folder and a
// dataset of the file's own. Two cases:
// 1. a backfill killed with SIGKILL after a few slow pages, then run again: it says it resumes, and
//    every request of the API is in request_latest once, no event twice in request_history, in both
//    sinks;
// 2. a backfill overlapping live webhooks, some newer than the API's snapshot and some older:
//    request_latest holds the newest state by updatedAt in both sinks, and a second run with
//    --again changes nothing in the views.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BigQuery } from '@google-cloud/bigquery';
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalKafka } from '../../infra/kafka/kafka.js';
import { startTestKafka } from '../support/broker.js';
import { localDir } from '../../infra/local/paths.js';
import { startProcess, type ManagedProcess } from '../../infra/local/process.js';
import { topics } from '../../schemas/topics.js';
import { bigQuerySink, migrate } from '../../services/bigquery/index.js';
import { consumerMetrics } from '../../services/consumers/runtime/metrics.js';
import { startConsumer, type RunningConsumer } from '../../services/consumers/runtime/runtime.js';
import { eventEnvelope } from '../../services/ingress/envelope.js';
import { classify } from '../../services/ingress/webhook.js';
import { openLake, parquetSink } from '../../services/lake/index.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { createKafka, createProducer, ensureTopics } from '../../services/shared/kafka.js';
import { createRegistry } from '../../services/shared/metrics.js';
import type { Sink } from '../../schemas/sink.js';
import { tableOfService } from '../../tables/catalogue.js';
import { webhook } from '../fixtures/webhooks.js';
import { apiRequest, fakeThenaApi, type FakeThenaApi } from '../support/fake-thena-api.js';
import { ownBrokerPorts } from '../support/global-setup.js';
import { quietLogger } from '../support/lake.js';
import { uniqueName, waitFor } from '../support/wait.js';
import { testWriteClient } from '../support/bigquery.js';
import { serviceArgs } from '../support/build.js';
import { testDataset } from '../support/drop-datasets.js';

const requestEvents = tableOfService('request-events')!;

/** The eventId a backfill gives a request object: the webhook rule over {"action":"BACKFILL","request":…}. */
function backfillEventId(item: Record<string, unknown>): string {
  const result = classify(JSON.stringify({ action: 'BACKFILL', request: item }));
  if (result.kind !== 'accepted') throw new Error(`fixture rejected: ${JSON.stringify(result.details)}`);
  return result.eventId;
}

interface Rows {
  lake: Record<string, unknown>[];
  bigquery: Record<string, unknown>[];
}

/** The file's broker, consumers (lake and BigQuery) and a way to run the command and read the views. */
class Harness {
  readonly lakeDir = mkdtempSync(join(tmpdir(), 'thena-backfill-'));
  readonly dataset = testDataset('backfill');
  project!: string;
  bq!: BigQuery;
  broker!: LocalKafka;
  kafka!: Kafka;
  producer!: Producer;
  consumers: RunningConsumer[] = [];
  private runs = 0;

  async start(): Promise<void> {
    this.project = inject('bigqueryProject');
    this.bq = createBigQuery({ BIGQUERY_PROJECT: this.project, BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint') })!;
    this.broker = await startTestKafka({
      dataDir: join(localDir, 'test', 'kafka-backfill'),
      ...ownBrokerPorts.backfill,
      fresh: true,
    });
    this.kafka = createKafka({ clientId: 'backfill-test', brokers: this.broker.brokers, logger: quietLogger });
    await ensureTopics(this.kafka, Object.values(topics));
    this.producer = createProducer(this.kafka);
    await this.producer.connect();
    await migrate(this.bq, { dataset: this.dataset, location: 'US' });
    await this.consume(parquetSink({ lakeDir: this.lakeDir, table: requestEvents }));
    await this.consume(
      bigQuerySink({ bq: this.bq, writeClient: testWriteClient(), dataset: this.dataset, table: requestEvents }),
    );
  }

  /** The request-events consumer on the pipeline's topic, in a group of its own, into `sink`. */
  private async consume(sink: Sink): Promise<void> {
    const service = uniqueName('backfill-request-events');
    this.consumers.push(
      await startConsumer({
        table: { ...requestEvents, consumer: { ...requestEvents.consumer, service } },
        kafka: this.kafka,
        sink,
        publish: async (m) => void (await this.producer.send({ topic: m.topic, acks: -1, messages: [m] })),
        deadLetterTopic: topics.deadLetter.name,
        logger: quietLogger,
        metrics: consumerMetrics(createRegistry(service)),
        limits: { maxRows: 10_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: 300 },
        onFatal: (err) => {
          throw err;
        },
      }),
    );
  }

  /**
   * Starts `npm run backfill -- <args>` against the fake API. Node runs the command itself (tsx as a
   * loader), not through npx, so that a SIGKILL reaches the backfill and not a wrapper around it.
   */
  backfill(api: FakeThenaApi, args: string[]): ManagedProcess {
    return startProcess({
      name: 'backfill',
      command: process.execPath,
      args: [...serviceArgs('backfill/backfill-cli.ts'), ...args],
      env: {
        KAFKA_BROKERS: this.broker.brokers.join(','),
        THENA_API_URL: api.url,
        THENA_API_KEY: api.key,
        THENA_API_REQUESTS_PER_SECOND: '50',
        THENA_API_TIMEOUT_MS: '10000',
      },
      logFile: join(localDir, 'test', 'backfill', `run-${Date.now()}-${this.runs++}.log`),
    });
  }

  /** Runs the command to its end; fails with its output unless it exits 0. */
  async backfillToEnd(api: FakeThenaApi, args: string[]): Promise<string> {
    const proc = this.backfill(api, args);
    const code = await proc.exited;
    const output = readFileSync(proc.logFile, 'utf8');
    if (code !== 0) throw new Error(`backfill ${args.join(' ')} exited ${code}:\n${output}`);
    return output;
  }

  /** The same query in DuckDB over the lake and in BigQuery (bare table and view names in FROM). */
  async query(sql: string): Promise<Rows> {
    const lake = await openLake(this.lakeDir);
    try {
      const bigquerySql = sql.replace(
        /\bFROM (\w+)/g,
        (_, name: string) => `FROM \`${this.project}.${this.dataset}.${name}\``,
      );
      const [bigquery] = await this.bq.query(bigquerySql);
      return {
        lake: (await lake.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[],
        bigquery: bigquery as Record<string, unknown>[],
      };
    } finally {
      lake.closeSync();
    }
  }

  /** Resolves once every consumer group has committed up to the end of the events topic. */
  async caughtUp(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topics.requestEvents.name);
      await waitFor(
        'the consumers to commit everything published',
        async () => {
          for (const c of this.consumers) {
            const [committed] = await admin.fetchOffsets({ groupId: c.groupId, topics: [topics.requestEvents.name] });
            const at = new Map(committed!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
            if (ends.some((e) => BigInt(e.high) > 0n && (at.get(e.partition) ?? -1n) < BigInt(e.high))) return false;
          }
          return true;
        },
        90_000,
        500,
      );
    } finally {
      await admin.disconnect();
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.consumers.map((c) => c.stop()));
    await this.producer?.disconnect().catch(() => undefined);
    await this.broker?.stop();
  }
}

const sorted = (rows: Record<string, unknown>[], ...columns: string[]) =>
  rows.map((r) => columns.map((c) => String(r[c])).join(' ')).sort();

describe('npm run backfill', () => {
  const h = new Harness();
  beforeAll(() => h.start(), 300_000);
  afterAll(() => h.close());

  it('resumes after a SIGKILL; every request lands in request_latest once and no event twice', async () => {
    const items = Array.from({ length: 60 }, (_, i) =>
      apiRequest(String(810_001 + i), new Date(Date.parse('2024-01-01T00:00:00Z') + i * 3_600_000).toISOString()),
    );
    const api = await fakeThenaApi({ items, delayMs: 300 });
    try {
      const args = ['--since', '2024-01-01', '--until', '2024-02-01', '--limit', '5'];
      const first = h.backfill(api, args);
      let exited: number | string | undefined;
      void first.exited.then((code) => (exited = code));
      await waitFor(
        'the backfill to read a few pages',
        () => {
          if (exited !== undefined)
            throw new Error(
              `the backfill ended (${exited}) before it was killed: ${readFileSync(first.logFile, 'utf8')}`,
            );
          return api.calls.length >= 5;
        },
        90_000,
        20,
      );
      await first.kill();
      const callsOfFirst = api.calls.length;
      expect(callsOfFirst).toBeLessThan(12);

      const output = await h.backfillToEnd(api, args);
      const resumed = /resuming at page (\d+) \(([\d,]+) published before\)/.exec(output);
      expect(resumed, output).not.toBeNull();
      expect(Number(resumed![1])).toBeGreaterThanOrEqual(5);
      expect(api.calls[callsOfFirst]!.query.next_cursor).toBe(`cur_${(Number(resumed![1]) - 1) * 5}`);
      expect(output).toMatch(/complete in/);

      const expected = items.map((r) => `${String(r.requestId)} ${backfillEventId(r)}`).sort();
      const latest = "SELECT request_id, event_id FROM request_latest WHERE request_id LIKE '81%'";
      await waitFor(
        'every request in request_latest of both sinks',
        async () => {
          const rows = await h.query(latest);
          return rows.lake.length >= items.length && rows.bigquery.length >= items.length;
        },
        120_000,
        1000,
      );
      const rows = await h.query(latest);
      expect(sorted(rows.lake, 'request_id', 'event_id')).toEqual(expected);
      expect(sorted(rows.bigquery, 'request_id', 'event_id')).toEqual(expected);

      const history = await h.query("SELECT request_id, event_id FROM request_history WHERE request_id LIKE '81%'");
      expect(sorted(history.lake, 'request_id', 'event_id')).toEqual(expected);
      expect(sorted(history.bigquery, 'request_id', 'event_id')).toEqual(expected);
    } finally {
      await api.close();
    }
  }, 300_000);

  it('keeps the newest state by updatedAt against live webhooks, and --again changes nothing', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => String(820_001 + i));
    const snapshotAt = Date.parse('2024-03-10T12:00:00Z');
    const snapshots = ids.map((id) =>
      apiRequest(id, '2024-03-10T00:00:00.000Z', { status: 'SNAPSHOT', updatedAt: new Date(snapshotAt).toISOString() }),
    );
    // The first three changed after the snapshot was taken, the next three before it; the last
    // at the snapshot's very time, where the webhook wins though the snapshot arrives later.
    const webhookState = (i: number) => (i < 3 ? 'WEBHOOK_NEWER' : i < 6 ? 'WEBHOOK_OLDER' : 'WEBHOOK_SAME_TIME');
    const webhooks = ids.map((id, i) =>
      webhook({
        requestId: id,
        status: webhookState(i),
        createdAt: '2024-03-10T00:00:00.000Z',
        updatedAt: new Date(snapshotAt + (i < 3 ? 1 : i < 6 ? -1 : 0) * 3_600_000).toISOString(),
      }),
    );
    const publishWebhooks = async (bodies: typeof webhooks) => {
      const messages = bodies.map((body) => {
        const result = classify(JSON.stringify(body));
        if (result.kind !== 'accepted') throw new Error('fixture rejected');
        return { key: result.requestId, value: eventEnvelope(result, new Date()) };
      });
      await h.producer.send({ topic: topics.requestEvents.name, acks: -1, messages });
    };
    const webhookEventId = (i: number) => (classify(JSON.stringify(webhooks[i])) as { eventId: string }).eventId;

    const api = await fakeThenaApi({ items: snapshots });
    try {
      const args = ['--since', '2024-03-10', '--until', '2024-03-11'];
      await publishWebhooks([webhooks[0]!, webhooks[3]!, webhooks[4]!, webhooks[6]!]);
      expect(await h.backfillToEnd(api, args)).toMatch(/published:\s+7 events/);
      await publishWebhooks([webhooks[1]!, webhooks[2]!, webhooks[5]!]);

      const expected = ids
        .map((id, i) =>
          i < 3 || i === 6
            ? `${id} ${webhookState(i)} ${webhookEventId(i)}`
            : `${id} SNAPSHOT ${backfillEventId(snapshots[i]!)}`,
        )
        .sort();
      const latest = "SELECT request_id, status, event_id FROM request_latest WHERE request_id LIKE '82%'";
      await h.caughtUp();
      const before = await h.query(latest);
      expect(sorted(before.lake, 'request_id', 'status', 'event_id')).toEqual(expected);
      expect(sorted(before.bigquery, 'request_id', 'status', 'event_id')).toEqual(expected);
      const history = "SELECT request_id, event_id, status FROM request_history WHERE request_id LIKE '82%'";
      const historyBefore = await h.query(history);
      expect(historyBefore.lake).toHaveLength(14);

      // Run again without --again: it already completed, so it publishes nothing.
      expect(await h.backfillToEnd(api, args)).toMatch(/already completed at .*nothing published/s);
      const again = await h.backfillToEnd(api, [...args, '--again']);
      expect(again).toMatch(/published:\s+7 events/);
      await h.caughtUp();
      const after = await h.query(latest);
      expect(sorted(after.lake, 'request_id', 'status', 'event_id')).toEqual(expected);
      expect(sorted(after.bigquery, 'request_id', 'status', 'event_id')).toEqual(expected);
      const historyAfter = await h.query(history);
      for (const sink of ['lake', 'bigquery'] as const) {
        expect(sorted(historyAfter[sink], 'request_id', 'event_id', 'status')).toEqual(
          sorted(historyBefore[sink], 'request_id', 'event_id', 'status'),
        );
      }
    } finally {
      await api.close();
    }
  }, 300_000);
});
