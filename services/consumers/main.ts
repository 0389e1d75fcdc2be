// Entry point of a consumer service: `node services/consumers/main.ts <service>`, where <service> is
// the consumer of a table in tables/catalogue.ts (request-events, request-activity, ...). Each runs
// as its own process. Inside it, each sink (the Parquet lake; BigQuery when BIGQUERY_PROJECT is
// set) has its own consumer group, so each advances on its own: a BigQuery outage does not stall
// the lake, nor the reverse.
import { Counter, type Registry } from 'prom-client';
import type { FlattenResult } from '../../schemas/flattener.js';
import type { GenerationStore } from '../../schemas/sink.js';
import type { TableDefinition } from '../../schemas/table.js';
import type { OutgoingMessage } from '../../schemas/topics.js';
import { catalogue, tableOfService } from '../../tables/catalogue.js';
import { bigQueryGenerations, createWriteClient, migrateOnStart } from '../bigquery/index.js';
import { ensureBucket, lakeGenerations, lakeStoreFrom } from '../lake/index.js';
import { createBigQuery } from '../shared/bigquery.js';
import { loadConfig, type Config } from '../shared/config.js';
import {
  connectFresh,
  createKafka,
  createProducer,
  refusedProducerState,
  kafkaConnection,
  type KafkaConnection,
} from '../shared/kafka.js';
import { configuredSecurity, describeKafkaError } from '../shared/kafka-security.js';
import { onShutdown, runService } from '../shared/lifecycle.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createRegistry } from '../shared/metrics.js';
import { isRetryable, keepTrying } from '../shared/retry.js';
import { startConsumerHttp, type Readiness } from './http.js';
import { pseudonymizer } from './privacy.js';
import { driftCounter } from './drift-metrics.js';
import { followTable } from './follow-table.js';
import type { GenerationFollower } from './runtime/follower.js';
import { startWatchdog, type Observation } from './watchdog.js';

/** How a service waits for Kafka or BigQuery at start: from about a second up to CONSUMER_RETRY_MAX_MS between tries. */
const startupBackoff = (config: Config) => ({ initialMs: 1_000, maxMs: config.CONSUMER_RETRY_MAX_MS });

/**
 * How long one attempt to reach Kafka at start may take. A broker that answers does so within a few
 * round trips; one that hangs would otherwise hold the attempt for kafkajs's retries of 30 s
 * requests.
 */
const connectDeadlineMs = 15_000;

/** The table named by the command line, or the usage and exit 2. */
function tableFromArgs(): TableDefinition {
  const table = tableOfService(process.argv[2] ?? '');
  if (table) return table;
  process.stderr.write(
    `usage: consumer <service>, where <service> is one of: ${catalogue.map((t) => t.consumer.service).join(', ')}\n`,
  );
  process.exit(2);
}

/** The table with `then` applied to each result as it leaves the flattener (both sinks see the same). */
function afterFlatten(table: TableDefinition, then: (out: FlattenResult) => FlattenResult): TableDefinition {
  const { flatten } = table.consumer;
  return { ...table, consumer: { ...table.consumer, flatten: (message) => then(flatten(message)) } };
}

/** With PSEUDONYMIZATION_KEY, the table's rows are pseudonymised as they leave the flattener. */
function withPrivacy(table: TableDefinition, config: Config, logger: Logger): TableDefinition {
  if (!config.PSEUDONYMIZATION_KEY) return table;
  const privacy = pseudonymizer(config.PSEUDONYMIZATION_KEY);
  logger.info('PSEUDONYMIZATION_KEY is set: names and e-mail addresses are written as keyed hashes');
  return afterFlatten(table, (out) =>
    out.kind === 'rows' ? { ...out, rows: out.rows.map((row) => privacy.row(table, row)) } : out,
  );
}

/** For a table that records payload drift, its findings are counted as they leave the flattener. */
function withDriftCount(table: TableDefinition, config: Config, registry: Registry): TableDefinition {
  const count = driftCounter(table, registry, config.PAYLOAD_DRIFT_ACKNOWLEDGED);
  if (!count) return table;
  return afterFlatten(table, (out) => {
    count(out);
    return out;
  });
}

/**
 * A connected producer for dead letters; waits for Kafka rather than exit into a restart loop. Each
 * attempt has a new client and a deadline (connectFresh): a kafkajs client whose connect hung on a
 * stalled broker may never connect again, even once the broker is back.
 */
async function connectPublisher(
  clientId: string,
  connection: KafkaConnection,
  config: Config,
  logger: Logger,
  waiting: (why: string) => void,
) {
  const newProducer = () => createProducer(createKafka({ clientId, ...connection, logger }));
  const producer = await keepTrying(() => connectFresh(newProducer, connectDeadlineMs), {
    ...startupBackoff(config),
    onRetry: (err, waitMs, attempt) => {
      // A wrong password or CA is said as such, with the setting to change; the service stays up
      // (not ready) and tries again, backing off, so that it needs no restart once it is mended.
      const why = describeKafkaError(err, connection.security?.summary ?? configuredSecurity());
      waiting(`Kafka is not reachable: ${why}`);
      logger.warn(
        { brokers: config.KAFKA_BROKERS, err: why, attempt, retryInMs: waitMs },
        'Kafka is not reachable; waiting for it before consuming',
      );
    },
  });
  const publish = async (m: OutgoingMessage) => {
    try {
      await producer.send({ topic: m.topic, acks: -1, messages: [{ key: m.key, value: m.value, headers: m.headers }] });
    } catch (err) {
      // A broker that restarted may refuse the idempotent producer's state for good: only a new
      // producer sends again, and a new process has one (it resumes from its last commit).
      if (refusedProducerState(err)) {
        logger.fatal({ err }, 'the broker refused the dead-letter producer’s state; exiting to start afresh');
        process.exit(1);
      }
      throw err;
    }
  };
  return { publish, disconnect: () => producer.disconnect() };
}

/** The lake, and BigQuery when configured (its dataset migrated first, waiting for it if away). */
async function buildStores(table: TableDefinition, config: Config, registry: Registry, logger: Logger) {
  const files = new Counter({
    name: 'thena_lake_files_written_total',
    help: 'Parquet files made visible in the lake.',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  const lake = lakeStoreFrom(config);
  if (lake.location.kind === 'gcs' && lake.location.endpoint) {
    // An emulator (npm start's, compose's) starts empty: the bucket is made here.
    const bucket = lake.location;
    await keepTrying(() => ensureBucket(bucket), {
      ...startupBackoff(config),
      retryIf: () => true,
      onRetry: (err, waitMs) =>
        logger.warn({ err: (err as Error).message, retryInMs: waitMs }, 'the GCS emulator is not reachable; waiting'),
    });
  }
  const stores: GenerationStore[] = [lakeGenerations(lake, (name) => files.inc({ table: name }))];
  const bq = createBigQuery(config);
  if (!bq) {
    logger.info('BIGQUERY_PROJECT is not set: the BigQuery sink is off');
    return stores;
  }
  if (config.BIGQUERY_MIGRATE_ON_START) {
    const report = await keepTrying(
      () =>
        migrateOnStart(bq, {
          dataset: config.BIGQUERY_DATASET,
          location: config.BIGQUERY_LOCATION,
          partitionExpirationDays: config.BIGQUERY_PARTITION_EXPIRATION_DAYS,
        }),
      {
        ...startupBackoff(config),
        retryIf: isRetryable,
        onRetry: (err, waitMs) =>
          logger.warn(
            { err: (err as Error).message, retryInMs: waitMs },
            'BigQuery is not reachable; waiting for it to migrate the dataset',
          ),
      },
    );
    if (report === 'current') logger.info('BigQuery dataset already migrated to this declaration');
    else logger.info({ created: report.created, altered: report.altered, behind: report.behind }, 'BigQuery migrated');
  }
  stores.push(
    bigQueryGenerations(bq, config.BIGQUERY_DATASET, {
      client: createWriteClient(config),
      maxBatchAgeMs: config.BIGQUERY_BATCH_MAX_AGE_MS,
      appendMaxBytes: config.BIGQUERY_APPEND_MAX_BYTES,
      logger,
    }),
  );
  return stores;
}

/**
 * Exits the process when a sink has not been consuming for KAFKA_STALL_EXIT_MS, from the start of
 * its consumer group on. What follows the start-up wait for Kafka (the control topic's reader, each
 * sink's group) is watched rather than retried in place: a consumer whose start hangs cannot be
 * abandoned safely (it may still join its group later, beside its replacement), and a running one
 * may never recover by itself after the broker hung. The supervisor starts a fresh process, which
 * waits for Kafka with new clients and resumes from the last commit. A rebuild's pause is no stall;
 * a rebalance or an idle topic is ready again well within the bound (heartbeats answer while idle).
 */
function watchFollowers(sinks: readonly string[], config: Config, logger: Logger) {
  let followers: readonly GenerationFollower[] | undefined;
  const starting = 'starting: reading the control topic, joining the consumer group';
  const watchdog = startWatchdog({
    stallMs: config.KAFKA_STALL_EXIT_MS,
    observe: (): Observation[] =>
      followers
        ? followers.filter((f) => !f.paused).map((f) => ({ name: f.sink, ...f.readiness() }))
        : sinks.map((name) => ({ name, ready: false, reason: starting })),
    onStall: (stall) => {
      logger.error(
        {
          sink: stall.name,
          groupId: followers?.find((f) => f.sink === stall.name)?.groupId,
          reason: stall.reason,
          since: stall.since,
          forMs: stall.forMs,
        },
        `the ${stall.name} sink has not been consuming for ${Math.round(stall.forMs / 1000)} s (${stall.reason}): ` +
          'exiting so a fresh process resumes from the last commit',
      );
      process.exit(1);
    },
  });
  return {
    /** From now on, each sink as its follower reports it. */
    watch: (started: readonly GenerationFollower[]) => void (followers = started),
    stop: () => watchdog.stop(),
  };
}

async function main(): Promise<void> {
  const declared = tableFromArgs();
  const config = loadConfig();
  const logger = createLogger(declared.consumer.service, config);
  const registry = createRegistry(declared.consumer.service);
  const table = withPrivacy(withDriftCount(declared, config, registry), config, logger);
  const clientId = `thena-${table.consumer.service}`;
  const connection = kafkaConnection(config);
  // Served from the start, so that a service waiting for Kafka or BigQuery says why on /readyz.
  let starting = 'connecting to Kafka';
  let readiness = (): Readiness => ({ ready: false, reason: `starting: ${starting}` });
  const http = await startConsumerHttp({
    host: config.HOST,
    port: config.METRICS_PORT,
    registry,
    readiness: () => readiness(),
  });
  const publisher = await connectPublisher(clientId, connection, config, logger, (why) => (starting = why));
  starting = 'preparing the sinks';
  const stores = await buildStores(table, config, registry, logger);
  // Kafka answered at start; from here on, a hang is the watchdog's to cure.
  const watchdog = watchFollowers(
    stores.map((s) => s.sink),
    config,
    logger,
  );
  const kafka = createKafka({ clientId, ...connection, logger });
  starting = 'reading the control topic, joining the consumer groups';
  const following = await followTable({
    table,
    stores,
    kafka,
    publish: publisher.publish,
    limits: {
      maxRows: config.LAKE_FILE_MAX_ROWS,
      maxBytes: config.LAKE_FILE_MAX_BYTES,
      maxAgeMs: config.LAKE_FILE_MAX_AGE_SECONDS * 1000,
    },
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    retryMaxMs: config.CONSUMER_RETRY_MAX_MS,
    registry,
    logger,
    onFatal: (err) => {
      logger.fatal({ err }, 'sink failure: exiting so the service restarts from its last commit');
      process.exit(1);
    },
  });
  watchdog.watch(following.followers);
  readiness = () => {
    const notReady = following.followers.map((c) => ({ groupId: c.groupId, ...c.readiness() })).find((r) => !r.ready);
    return notReady ? { ready: false, reason: `${notReady.groupId}: ${notReady.reason}` } : { ready: true };
  };
  logger.info(
    { metrics: http.address, sinks: stores.map((s) => s.sink), table: table.name },
    'consumer service started',
  );

  // Write and commit what is buffered, leave the groups, then let go of the producer.
  onShutdown(logger, async () => {
    watchdog.stop();
    await Promise.allSettled([following.stop(), http.app.close()]);
    await publisher.disconnect();
  });
}

runService('consumer', main);
