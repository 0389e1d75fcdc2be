// Entry point of a consumer service: `node services/consumers/main.ts <service>` where <service>
// is one of services.ts (request-events, request-activity, request-assignments, request-csat,
// rejected-events). Each runs as its own process. Inside it, each sink (the Parquet lake; BigQuery
// when BIGQUERY_PROJECT is set) has its own consumer group, so each advances on its own: a
// BigQuery outage does not stall the lake, nor the reverse.
import { Counter } from 'prom-client';
import { topics } from '../../schemas/topics.js';
import { createBigQuery } from '../shared/bigquery.js';
import { loadConfig } from '../shared/config.js';
import { createKafka, createProducer } from '../shared/kafka.js';
import { onShutdown, runService } from '../shared/lifecycle.js';
import { createLogger } from '../shared/logger.js';
import { createRegistry } from '../shared/metrics.js';
import { isRetryable, keepTrying } from '../shared/retry.js';
import { migrate } from '../bigquery/migrate.js';
import { bigQuerySink } from '../bigquery/sink.js';
import { bigQueryDeadLetter } from '../bigquery/dead-letter.js';
import { startConsumerHttp } from './http.js';
import { consumerMetrics } from './runtime/metrics.js';
import { startConsumer, type ConsumerServiceDeclaration } from './runtime/runtime.js';
import { pseudonymizer } from './flatten/privacy.js';
import type { Sink } from './runtime/sink.js';
import { consumerServices, type ConsumerServiceName } from './services.js';
import { parquetSink } from './sinks/parquet.js';

/** How a service waits for Kafka or BigQuery at start: from about a second up to 30 s between tries. */
const startupBackoff = { initialMs: 1_000, maxMs: 30_000 };

async function main(): Promise<void> {
  const name = process.argv[2] as ConsumerServiceName | undefined;
  let service: ConsumerServiceDeclaration | undefined = name ? consumerServices[name] : undefined;
  if (!service) {
    process.stderr.write(
      `usage: consumer <service>, where <service> is one of: ${Object.keys(consumerServices).join(', ')}\n`,
    );
    process.exit(2);
  }
  const config = loadConfig();
  const logger = createLogger(service.name, config);
  if (config.PSEUDONYMIZATION_KEY) {
    // Both sinks see the same pseudonymised rows.
    const privacy = pseudonymizer(config.PSEUDONYMIZATION_KEY);
    const { flatten, table } = service;
    service = {
      ...service,
      flatten: (message) => {
        const out = flatten(message);
        return { ...out, rows: out.rows.map((row) => privacy.row(table, row)) };
      },
    };
    logger.info('PSEUDONYMIZATION_KEY is set: names and e-mail addresses are written as keyed hashes');
  }
  const registry = createRegistry(service.name);
  const metrics = consumerMetrics(registry);
  const files = new Counter({
    name: 'thena_lake_files_written_total',
    help: 'Parquet files made visible in the lake.',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  const bigQueryRejected = new Counter({
    name: 'thena_bigquery_rows_rejected_total',
    help: 'Rows BigQuery refused (sent to the dead-letter topic), by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const kafka = createKafka({ clientId: `thena-${service.name}`, brokers: config.KAFKA_BROKERS, logger });
  const producer = createProducer(kafka);
  // Started during a Kafka outage (or restarted by one), wait for the broker rather than exit into
  // a restart loop.
  await keepTrying(() => producer.connect(), {
    ...startupBackoff,
    onRetry: (err, waitMs) =>
      logger.warn(
        { brokers: config.KAFKA_BROKERS, err: (err as Error).message, retryInMs: waitMs },
        'Kafka is not reachable; waiting for it before consuming',
      ),
  });
  const publish = async (m: { topic: string; key: string | null; value: string; headers?: Record<string, string> }) =>
    void (await producer.send({
      topic: m.topic,
      acks: -1,
      messages: [{ key: m.key, value: m.value, headers: m.headers }],
    }));

  const sinks: Sink[] = [
    parquetSink({
      lakeDir: config.LAKE_DIR,
      table: service.table,
      onFile: () => files.inc({ table: service.table.name }),
    }),
  ];
  const bq = createBigQuery(config);
  if (!bq) {
    logger.info('BIGQUERY_PROJECT is not set: the BigQuery sink is off');
  } else {
    if (config.BIGQUERY_MIGRATE_ON_START) {
      const report = await keepTrying(
        () => migrate(bq, { dataset: config.BIGQUERY_DATASET, location: config.BIGQUERY_LOCATION }),
        {
          ...startupBackoff,
          retryIf: isRetryable,
          onRetry: (err, waitMs) =>
            logger.warn(
              { err: (err as Error).message, retryInMs: waitMs },
              'BigQuery is not reachable; waiting for it to migrate the dataset',
            ),
        },
      );
      logger.info({ created: report.created, altered: report.altered }, 'BigQuery migrated');
    }
    sinks.push(
      bigQuerySink({
        bq,
        dataset: config.BIGQUERY_DATASET,
        table: service.table,
        deadLetter: bigQueryDeadLetter({
          service: service.name,
          sourceTopic: service.topic,
          topic: topics.deadLetter.name,
          publish,
          onRow: (reason) => bigQueryRejected.inc({ reason }),
        }),
      }),
    );
  }

  const consumers = await Promise.all(
    sinks.map((sink) =>
      startConsumer({
        service,
        kafka,
        sink,
        deadLetter: publish,
        deadLetterTopic: topics.deadLetter.name,
        logger,
        metrics,
        limits: {
          // BigQuery takes 500 rows a request: smaller batches keep each write (and its retries) short.
          maxRows: sink.name === 'bigquery' ? Math.min(5_000, config.LAKE_FILE_MAX_ROWS) : config.LAKE_FILE_MAX_ROWS,
          maxBytes: config.LAKE_FILE_MAX_BYTES,
          maxAgeMs: config.LAKE_FILE_MAX_AGE_SECONDS * 1000,
        },
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
        onFatal: (err) => {
          logger.fatal(
            { err, sink: sink.name },
            'sink failure: exiting so the service restarts from its last committed offsets',
          );
          process.exit(1);
        },
      }),
    ),
  );
  const http = await startConsumerHttp({
    host: config.HOST,
    port: config.METRICS_PORT,
    registry,
    readiness: () => {
      const notReady = consumers.map((c) => ({ groupId: c.groupId, ...c.readiness() })).find((r) => !r.ready);
      return notReady ? { ready: false, reason: `${notReady.groupId}: ${notReady.reason}` } : { ready: true };
    },
  });
  logger.info(
    { metrics: http.address, sinks: sinks.map((s) => s.name), table: service.table.name },
    'consumer service started',
  );

  // Write and commit what is buffered, leave the groups, then let go of the producer.
  onShutdown(logger, async () => {
    await Promise.allSettled([...consumers.map((c) => c.stop()), http.app.close()]);
    await producer.disconnect();
  });
}

runService('consumer', main);
