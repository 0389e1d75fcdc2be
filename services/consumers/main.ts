// Entry point of a consumer service: `node services/consumers/main.ts <service>` where <service>
// is one of services.ts (request-events, request-activity, request-assignments, request-csat,
// rejected-events). Each runs as its own process with its own consumer group.
import { topics } from '../../schemas/topics.js';
import { loadConfig } from '../shared/config.js';
import { onShutdown, runService } from '../shared/lifecycle.js';
import { createKafka, createProducer } from '../shared/kafka.js';
import { createLogger } from '../shared/logger.js';
import { createRegistry } from '../shared/metrics.js';
import { startConsumerHttp } from './http.js';
import { consumerMetrics } from './runtime/metrics.js';
import { startConsumer } from './runtime/runtime.js';
import { consumerServices, type ConsumerServiceName } from './services.js';
import { parquetSink } from './sinks/parquet.js';
import { Counter } from 'prom-client';

async function main(): Promise<void> {
  const name = process.argv[2] as ConsumerServiceName | undefined;
  const service = name ? consumerServices[name] : undefined;
  if (!service) {
    process.stderr.write(
      `usage: consumer <service>, where <service> is one of: ${Object.keys(consumerServices).join(', ')}\n`,
    );
    process.exit(2);
  }
  const config = loadConfig();
  const logger = createLogger(service.name, config);
  const registry = createRegistry(service.name);
  const metrics = consumerMetrics(registry);
  const files = new Counter({
    name: 'thena_lake_files_written_total',
    help: 'Parquet files made visible in the lake.',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  const kafka = createKafka({ clientId: `thena-${service.name}`, brokers: config.KAFKA_BROKERS, logger });
  const producer = createProducer(kafka);
  await producer.connect();

  const consumer = await startConsumer({
    service,
    kafka,
    sink: parquetSink({
      lakeDir: config.LAKE_DIR,
      table: service.table,
      onFile: () => files.inc({ table: service.table.name }),
    }),
    deadLetter: async (m) =>
      void (await producer.send({
        topic: m.topic,
        acks: -1,
        messages: [{ key: m.key, value: m.value, headers: m.headers }],
      })),
    deadLetterTopic: topics.deadLetter.name,
    logger,
    metrics,
    limits: {
      maxRows: config.LAKE_FILE_MAX_ROWS,
      maxBytes: config.LAKE_FILE_MAX_BYTES,
      maxAgeMs: config.LAKE_FILE_MAX_AGE_SECONDS * 1000,
    },
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    onFatal: (err) => {
      logger.fatal({ err }, 'sink failure: exiting so the service restarts from its last committed offsets');
      process.exit(1);
    },
  });
  const http = await startConsumerHttp({
    host: config.HOST,
    port: config.METRICS_PORT,
    registry,
    ready: () => consumer.joined,
  });
  logger.info({ metrics: http.address, lake: config.LAKE_DIR, table: service.table.name }, 'consumer service started');

  // Write and commit what is buffered, leave the group, then let go of the producer.
  onShutdown(logger, async () => {
    await Promise.allSettled([consumer.stop(), http.app.close()]);
    await producer.disconnect();
  });
}

runService('consumer', main);
