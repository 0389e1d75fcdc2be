// `npm run redrive -- [--reason R] [--since TIME] [--dry-run]`: sends dead letters through the
// normal path again after a schema relaxation or a code fix (see redrive.ts and decide.ts).
// Prints progress on stderr and a summary by outcome, with examples.
import { parseArgs } from 'node:util';
import { topics } from '../../schemas/topics.js';
import { bigQueryGenerations } from '../bigquery/index.js';
import { createBigQuery } from '../shared/bigquery.js';
import { loadConfig } from '../shared/config.js';
import { controlWriter, readControl } from '../shared/control.js';
import { commandKafka, createProducer, ensureTopics, kafkaConnection } from '../shared/kafka.js';
import { runService } from '../shared/lifecycle.js';
import { createLogger } from '../shared/logger.js';
import { progress } from '../shared/progress.js';
import { redrive } from './redrive.js';

const usage = 'usage: npm run redrive -- [--reason R] [--since 2026-11-01T00:00:00Z] [--dry-run]';

function parseCommandLine(): { reason?: string; since?: Date; dryRun: boolean } {
  const { values } = parseArgs({
    options: { reason: { type: 'string' }, since: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
  });
  let since: Date | undefined;
  if (values.since !== undefined) {
    since = new Date(values.since);
    if (Number.isNaN(since.getTime())) {
      process.stderr.write(
        `--since: '${values.since}' is not a date or time; give e.g. 2026-11-01 or 2026-11-01T12:00:00Z\n${usage}\n`,
      );
      process.exit(2);
    }
  }
  return {
    ...(values.reason ? { reason: values.reason } : {}),
    ...(since ? { since } : {}),
    dryRun: values['dry-run'],
  };
}

runService('redrive', async () => {
  const args = parseCommandLine();
  const config = loadConfig();
  const logger = createLogger('redrive', {
    ...config,
    LOG_LEVEL: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL,
  });
  const kafka = await commandKafka({ clientId: 'thena-redrive', ...kafkaConnection(config), logger });
  await ensureTopics(kafka, Object.values(topics));
  const producer = createProducer(kafka);
  await producer.connect();
  const control = await controlWriter(kafka);
  const bq = createBigQuery(config);
  try {
    const summary = await redrive({
      kafka,
      ...args,
      publish: async (m) =>
        void (await producer.send({
          topic: m.topic,
          acks: -1,
          messages: [{ key: m.key, value: m.value, headers: m.headers }],
        })),
      control,
      ledger: await readControl(kafka),
      ...(bq ? { bigquery: bigQueryGenerations(bq, config.BIGQUERY_DATASET) } : {}),
      progress: progress('redrive', { unit: 'dead letters' }),
    });
    const lines = Object.entries(summary.outcomes).map(([what, n]) => `  ${String(n).padStart(7)}  ${what}`);
    process.stdout.write(
      `${args.dryRun ? 'Dry run: nothing was changed.\n' : ''}Dead letters:\n${lines.join('\n') || '  none'}\n` +
        (summary.examples.length ? `\nFor example:\n${summary.examples.map((e) => `  ${e}`).join('\n')}\n` : ''),
    );
  } finally {
    await Promise.allSettled([producer.disconnect(), control.close()]);
  }
  process.exit(0);
});
