// `npm run erase -- (--request <id> | --ticket <id>) [--workspace <name>] [--sink lake|bigquery] [--dry-run]`:
// removes one request's (or platform ticket's) rows from the lake and from BigQuery, for a
// data-subject request. What it cannot reach (Kafka's history, backups) is in
// docs/personal-data.md.
import { defaultWorkspace } from '../../schemas/workspace.js';
import { catalogue } from '../../tables/catalogue.js';
import { eraseFromBigQuery } from '../bigquery/index.js';
import { eraseFromLake, lakeStoreFrom } from '../lake/index.js';
import { createBigQuery } from '../shared/bigquery.js';
import { cli, readOptions, type ParsedArguments } from '../shared/cli.js';
import { ConfigError, loadConfig, type Config } from '../shared/config.js';
import { controlWriter } from '../shared/control.js';
import { commandKafka, ensureTopics, kafkaConnection } from '../shared/kafka.js';
import { createLogger } from '../shared/logger.js';
import { erasureKey } from '../../schemas/control.js';
import { topics } from '../../schemas/topics.js';

interface Args {
  column: 'request_id' | 'ticket_id';
  value: string;
  workspace: string;
  sinks: ('lake' | 'bigquery')[];
  dryRun: boolean;
}

const usage =
  'usage: npm run erase -- (--request <id> | --ticket <id>) [--workspace <name>] [--sink lake|bigquery] [--dry-run]';
const help = `${usage}

Removes every row of one request (request_id) or platform ticket (ticket_id) from the lake's and
BigQuery's tables. Readers see the rows until the replacement is committed, then never again; the
replaced lake files go after LAKE_COMPACT_GRACE_SECONDS. Prints the rows found per table.

  --request <id>     the Thena request id
  --ticket <id>      the platform ticket id
  --workspace <name> the workspace it belongs to (default: ${defaultWorkspace})
  --sink <sink>      only the lake, or only BigQuery
  --dry-run          count the rows, change nothing`;

function parse(argv: string[]): ParsedArguments<Args> {
  const read = readOptions(argv, {
    request: { type: 'string' },
    ticket: { type: 'string' },
    workspace: { type: 'string', default: defaultWorkspace },
    sink: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  });
  if (read.kind !== 'values') return read;
  const { values } = read;
  if ((values.request === undefined) === (values.ticket === undefined)) {
    return { kind: 'error', message: 'name what to erase with --request <id> or --ticket <id> (one of them)' };
  }
  const value = (values.request ?? values.ticket)!;
  if (!/^[\w.:-]{1,200}$/.test(value)) {
    return { kind: 'error', message: `'${value}' is not an id (letters, digits, '.', ':', '-' and '_')` };
  }
  if (values.sink !== undefined && values.sink !== 'lake' && values.sink !== 'bigquery') {
    return { kind: 'error', message: `--sink: '${values.sink}' is not a sink; give lake or bigquery` };
  }
  return {
    kind: 'run',
    args: {
      column: values.request === undefined ? 'ticket_id' : 'request_id',
      value,
      workspace: values.workspace,
      sinks: values.sink ? [values.sink as 'lake' | 'bigquery'] : ['lake', 'bigquery'],
      dryRun: values['dry-run'],
    },
  };
}

const { say, exitWith, commandLine } = cli('erase', { usage, help, parse });

/** On the control topic first, so that a rebuild leaves the subject out even if this run stops midway. */
async function recordErasure(config: Config, subject: Pick<Args, 'column' | 'value' | 'workspace'>): Promise<void> {
  const kafka = await commandKafka({
    clientId: 'thena-erase',
    ...kafkaConnection(config),
    logger: createLogger('erase', config),
  });
  await ensureTopics(kafka, [topics.control]);
  const control = await controlWriter(kafka);
  try {
    await control.publish(erasureKey(subject.workspace, subject.column, subject.value), {
      kind: 'erasure',
      ...subject,
      at: new Date().toISOString(),
    });
  } finally {
    await control.close();
  }
  say('recorded on the control topic: rebuilds leave it out');
}

async function main(): Promise<void> {
  const args = commandLine();
  const config = loadConfig();
  const subject = { column: args.column, value: args.value, workspace: args.workspace, dryRun: args.dryRun };
  if (!args.dryRun) await recordErasure(config, subject);
  // BigQuery first: the lake's part ends by waiting out the grace period.
  const bq = createBigQuery(config);
  if (args.sinks.includes('bigquery') && bq) {
    const found = await eraseFromBigQuery(bq, { ...subject, dataset: config.BIGQUERY_DATASET, tables: catalogue });
    for (const f of found) say(`bigquery ${f.table}: ${f.rows} rows`);
    say(`bigquery: ${found.reduce((s, f) => s + f.rows, 0)} rows ${args.dryRun ? 'found' : 'erased'}`);
  } else if (args.sinks.includes('bigquery')) {
    say('BIGQUERY_PROJECT is not set: nothing to erase in BigQuery');
  }
  if (args.sinks.includes('lake')) {
    const found = await eraseFromLake({
      ...subject,
      store: lakeStoreFrom(config),
      tables: catalogue,
      targetBytes: config.LAKE_COMPACT_TARGET_MB * 1024 * 1024,
      graceMs: config.LAKE_COMPACT_GRACE_SECONDS * 1000,
      say: (line) => say(`lake ${line}`),
    });
    say(`lake: ${found.reduce((s, f) => s + f.rows, 0)} rows ${args.dryRun ? 'found' : 'erased'}`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) exitWith(2, err.problems.join('; '));
  exitWith(1, (err as Error).message);
});
