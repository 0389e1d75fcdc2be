// `npm run rebuild -- --table <name> [--sink lake|bigquery] [--force] [--keep-old-seconds N]`, or
// `--all`: rebuilds tables from the whole history of their topic with the current flatteners, one
// table and sink at a time (see rebuild.ts). A table whose generation already has the declared
// version is left alone unless --force. Prints progress on stderr and a line per table and sink.
import { parseArgs } from 'node:util';
import type { Kafka } from 'kafkajs';
import type { GenerationStore } from '../../schemas/sink.js';
import type { TableDefinition } from '../../schemas/table.js';
import { topics, type OutgoingMessage } from '../../schemas/topics.js';
import { catalogue } from '../../tables/catalogue.js';
import { bigQueryGenerations, createWriteClient, migrate } from '../bigquery/index.js';
import { lakeGenerations, lakeStoreFrom } from '../lake/index.js';
import { createBigQuery } from '../shared/bigquery.js';
import { loadConfig, type Config } from '../shared/config.js';
import { controlWriter, readControl } from '../shared/control.js';
import { DeadLetterHeaders } from '../shared/dead-letter.js';
import { commandKafka, createProducer, ensureTopics, kafkaConnection } from '../shared/kafka.js';
import { runService } from '../shared/lifecycle.js';
import { createLogger } from '../shared/logger.js';
import { createRegistry } from '../shared/metrics.js';
import { progress } from '../shared/progress.js';
import { readTopic } from '../shared/read-topic.js';
import { withoutErased } from './erasures.js';
import { abandon, rebuild } from './rebuild.js';
import { consumerMetrics } from './runtime/metrics.js';

const usage =
  'usage: npm run rebuild -- (--table <name> | --all) [--sink lake|bigquery] [--force] [--keep-old-seconds N] [--abort]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

/** The tables and sinks the command line names. */
function parseCommandLine(): {
  tables: TableDefinition[];
  sink?: string;
  force: boolean;
  keepOldMs: number;
  abort: boolean;
} {
  const { values } = parseArgs({
    options: {
      table: { type: 'string', multiple: true },
      all: { type: 'boolean', default: false },
      sink: { type: 'string' },
      force: { type: 'boolean', default: false },
      'keep-old-seconds': { type: 'string', default: '60' },
      abort: { type: 'boolean', default: false },
    },
  });
  const names = values.table ?? [];
  if (values.all === names.length > 0) fail('name the tables with --table, or give --all');
  const known = catalogue.map((t) => t.name);
  for (const name of names) {
    if (!known.includes(name)) fail(`--table: no table named '${name}'; the tables are ${known.join(', ')}`);
  }
  if (values.sink !== undefined && values.sink !== 'lake' && values.sink !== 'bigquery') {
    fail(`--sink: '${values.sink}' is not a sink; give lake or bigquery`);
  }
  const keep = Number(values['keep-old-seconds']);
  if (!Number.isInteger(keep) || keep < 0)
    fail(`--keep-old-seconds: '${values['keep-old-seconds']}' is not a whole number of seconds`);
  return {
    tables: values.all ? [...catalogue] : catalogue.filter((t) => names.includes(t.name)),
    sink: values.sink === 'lake' ? 'parquet' : values.sink,
    force: values.force,
    keepOldMs: keep * 1000,
    abort: values.abort,
  };
}

async function stores(config: Config, sink: string | undefined): Promise<GenerationStore[]> {
  const out: GenerationStore[] = [];
  if (sink !== 'bigquery') out.push(lakeGenerations(lakeStoreFrom(config)));
  const bq = createBigQuery(config);
  if (sink === 'bigquery' && !bq) fail('--sink bigquery: BIGQUERY_PROJECT is not set');
  if (bq && sink !== 'parquet') {
    await migrate(bq, {
      dataset: config.BIGQUERY_DATASET,
      location: config.BIGQUERY_LOCATION,
      partitionExpirationDays: config.BIGQUERY_PARTITION_EXPIRATION_DAYS,
    });
    out.push(
      bigQueryGenerations(bq, config.BIGQUERY_DATASET, {
        client: createWriteClient(config),
        maxBatchAgeMs: config.BIGQUERY_BATCH_MAX_AGE_MS,
        appendMaxBytes: config.BIGQUERY_APPEND_MAX_BYTES,
      }),
    );
  }
  return out;
}

/**
 * Publishes dead letters, less those of messages a service already dead-lettered: a rebuild reads
 * the whole history again, and a message that failed then fails again now.
 */
async function deadLetterPublisher(kafka: Kafka) {
  const known = new Set<string>();
  const origin = (headers: Record<string, string | undefined>) =>
    [
      DeadLetterHeaders.source,
      DeadLetterHeaders.originTopic,
      DeadLetterHeaders.originPartition,
      DeadLetterHeaders.originOffset,
    ]
      .map((h) => headers[h] ?? '')
      .join('|');
  await readTopic(kafka, topics.deadLetter.name, (m) => void known.add(origin(m.headers)));
  const producer = createProducer(kafka);
  await producer.connect();
  const publish = async (m: OutgoingMessage) => {
    if (known.has(origin(m.headers ?? {}))) return;
    await producer.send({ topic: m.topic, acks: -1, messages: [{ key: m.key, value: m.value, headers: m.headers }] });
  };
  return { publish, close: () => producer.disconnect() };
}

runService('rebuild', async () => {
  const args = parseCommandLine();
  const config = loadConfig();
  const logger = createLogger('rebuild', {
    ...config,
    LOG_LEVEL: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL,
  });
  const kafka = await commandKafka({ clientId: 'thena-rebuild', ...kafkaConnection(config), logger });
  await ensureTopics(kafka, Object.values(topics));
  const control = await controlWriter(kafka);
  const deadLetters = await deadLetterPublisher(kafka);
  const metrics = consumerMetrics(createRegistry('rebuild'));
  try {
    for (const store of await stores(config, args.sink)) {
      for (const table of args.tables) {
        const sinkName = store.sink === 'parquet' ? 'lake' : store.sink;
        if (args.abort) {
          const given = await abandon({ table, store, kafka, control, controlState: await readControl(kafka) });
          process.stdout.write(
            `${table.name} (${sinkName}): ${given ? 'rebuild abandoned; the services write the current generation' : 'no rebuild to abandon'}\n`,
          );
          continue;
        }
        const reporter = progress(`${table.name} (${sinkName})`);
        const controlState = await readControl(kafka);
        const report = await rebuild({
          // Requests erased since their webhooks arrived stay out of the new generation.
          table: withoutErased(table, controlState),
          store,
          kafka,
          control,
          controlState,
          publish: deadLetters.publish,
          deadLetterTopic: topics.deadLetter.name,
          logger,
          metrics,
          force: args.force,
          keepOldMs: args.keepOldMs,
          sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
          retryMaxMs: config.CONSUMER_RETRY_MAX_MS,
          progress: reporter,
        });
        if (report.outcome === 'up to date') {
          process.stdout.write(
            `${table.name} (${sinkName}): up to date at version ${table.version}; nothing to do (--force rebuilds anyway)\n`,
          );
        } else {
          reporter.finish(`${report.events} events read into generation ${report.to}`);
          process.stdout.write(`${table.name} (${sinkName}): rebuilt, generation ${report.from} -> ${report.to}\n`);
        }
      }
    }
  } finally {
    await Promise.allSettled([control.close(), deadLetters.close()]);
  }
  process.exit(0);
});
