// The backfill suite's harness (test/integration/backfill.integration.test.ts): a broker of its own
// (fresh, on the outage ports, as the consumer-crash test does), since the command publishes to the
// pipeline's own topic names; the request-events and ticket-events consumers in-process into a lake
// folder and a dataset of its own; the command run as a child process the way an operator runs it;
// and the same query in both sinks.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BigQuery } from '@google-cloud/bigquery';
import type { Kafka, Producer } from 'kafkajs';
import { inject } from 'vitest';
import type { LocalKafka } from '../../infra/kafka/kafka.js';
import { localDir } from '../../infra/local/paths.js';
import { startProcess, type ManagedProcess } from '../../infra/local/process.js';
import type { Sink } from '../../schemas/sink.js';
import type { TableDefinition } from '../../schemas/table.js';
import { topics } from '../../schemas/topics.js';
import { bigQuerySink, migrate } from '../../services/bigquery/index.js';
import { consumerMetrics } from '../../services/consumers/runtime/metrics.js';
import { startConsumer, type RunningConsumer } from '../../services/consumers/runtime/runtime.js';
import { openLake, parquetSink } from '../../services/lake/index.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { createKafka, createProducer, ensureTopics } from '../../services/shared/kafka.js';
import { createRegistry } from '../../services/shared/metrics.js';
import { tableOfService } from '../../tables/catalogue.js';
import { testWriteClient } from './bigquery.js';
import { startTestKafka } from './broker.js';
import { serviceArgs } from './build.js';
import { testDataset } from './drop-datasets.js';
import type { FakeThenaApi } from './fake-thena-api.js';
import { ownBrokerPorts } from './global-setup.js';
import { quietLogger } from './lake.js';
import { uniqueName, waitFor } from './wait.js';

const requestEvents = tableOfService('request-events')!;
const ticketEvents = tableOfService('ticket-events')!;

export interface Rows {
  lake: Record<string, unknown>[];
  bigquery: Record<string, unknown>[];
}

/** The file's broker, consumers (lake and BigQuery) and a way to run the command and read the views. */
export class BackfillHarness {
  readonly lakeDir = mkdtempSync(join(tmpdir(), 'thena-backfill-'));
  readonly dataset = testDataset('backfill');
  project!: string;
  bq!: BigQuery;
  broker!: LocalKafka;
  kafka!: Kafka;
  producer!: Producer;
  consumers: RunningConsumer[] = [];
  /** The topic each consumer reads. */
  private readonly consumerTopic = new Map<RunningConsumer, string>();
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
    for (const table of [requestEvents, ticketEvents]) {
      await this.consume(table, parquetSink({ lakeDir: this.lakeDir, table }));
      await this.consume(
        table,
        bigQuerySink({ bq: this.bq, writeClient: testWriteClient(), dataset: this.dataset, table }),
      );
    }
  }

  /** The table's consumer on the pipeline's topic, in a group of its own, into `sink`. */
  private async consume(table: TableDefinition, sink: Sink): Promise<void> {
    const service = uniqueName(`backfill-${table.consumer.service}`);
    const running = await startConsumer({
      table: { ...table, consumer: { ...table.consumer, service } },
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
    });
    this.consumers.push(running);
    this.consumerTopic.set(running, table.consumer.topic);
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

  /** Starts the command and kills it (SIGKILL) once the API has had `calls` calls; fails if it ends first. */
  async killAfterCalls(api: FakeThenaApi, args: string[], calls: number): Promise<void> {
    const run = this.backfill(api, args);
    let exited: number | string | undefined;
    void run.exited.then((code) => (exited = code));
    await waitFor(
      `the backfill to read ${calls} pages`,
      () => {
        if (exited !== undefined) {
          throw new Error(`the backfill ended (${exited}) before it was killed: ${readFileSync(run.logFile, 'utf8')}`);
        }
        return api.calls.length >= calls;
      },
      90_000,
      20,
    );
    await run.kill();
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

  /** Resolves once every consumer group of `topic` has committed up to its end. */
  async caughtUp(topic: string = topics.requestEvents.name): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topic);
      await waitFor(
        'the consumers to commit everything published',
        async () => {
          for (const c of this.consumers.filter((x) => this.consumerTopic.get(x) === topic)) {
            const [committed] = await admin.fetchOffsets({ groupId: c.groupId, topics: [topic] });
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
