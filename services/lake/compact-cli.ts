// `npm run compact -- [--table <name>] [--before YYYY-MM-DD] [--every <minutes>] [--dry-run]`:
// merges each closed day's small files into a few large ones and, with LAKE_RETENTION_DAYS set,
// removes the day folders past it (compaction.ts). A day is closed once a whole day has passed
// since it ended: by default the days before yesterday (UTC). With --every it runs again after
// each pass, for a scheduler-less deployment; one compaction per lake at a time.
import { catalogue } from '../../tables/catalogue.js';
import { cli, readOptions, type ParsedArguments } from '../shared/cli.js';
import { ConfigError, loadConfig } from '../shared/config.js';
import { compact, daysBefore } from './compaction.js';
import { describeLocation } from './store.js';
import { lakeStoreFrom } from './stores/index.js';

interface Args {
  tables: string[];
  before?: string;
  everyMinutes?: number;
  dryRun: boolean;
}

const usage = 'usage: npm run compact -- [--table <name>]... [--before YYYY-MM-DD] [--every <minutes>] [--dry-run]';
const help = `${usage}

Merges each closed day's small Parquet files into files of about LAKE_COMPACT_TARGET_MB, and removes
day folders older than LAKE_RETENTION_DAYS (when set). Readers see every fact exactly once
throughout; a compaction stopped at any point finishes on the next run.

  --table <name>     only this table (repeatable); every table by default
  --before <date>    compact the days before this one; default: the day before yesterday and earlier
  --every <minutes>  run again this many minutes after each pass, until stopped
  --dry-run          print what would be merged and removed, change nothing`;

function parse(argv: string[]): ParsedArguments<Args> {
  const read = readOptions(argv, {
    table: { type: 'string', multiple: true },
    before: { type: 'string' },
    every: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  });
  if (read.kind !== 'values') return read;
  const { values } = read;
  const known = catalogue.map((t) => t.name);
  for (const name of values.table ?? []) {
    if (!known.includes(name))
      return { kind: 'error', message: `--table: no table named '${name}'; the tables are ${known.join(', ')}` };
  }
  if (values.before !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.before)) {
    return { kind: 'error', message: `--before: '${values.before}' is not a date; give YYYY-MM-DD, e.g. 2026-11-01` };
  }
  const every = values.every === undefined ? undefined : Number(values.every);
  if (every !== undefined && !(every > 0)) {
    return { kind: 'error', message: `--every: '${values.every}' is not a positive number of minutes` };
  }
  return {
    kind: 'run',
    args: { tables: values.table ?? [], before: values.before, everyMinutes: every, dryRun: values['dry-run'] },
  };
}

const { say, exitWith, commandLine } = cli('compact', { usage, help, parse });

async function pass(args: Args): Promise<void> {
  const config = loadConfig();
  const store = lakeStoreFrom(config);
  const now = new Date();
  const started = Date.now();
  say(`compacting the lake at ${describeLocation(store.location)}`);
  const report = await compact({
    store,
    tables: args.tables.length ? catalogue.filter((t) => args.tables.includes(t.name)) : catalogue,
    before: args.before ?? daysBefore(now, 1),
    targetBytes: config.LAKE_COMPACT_TARGET_MB * 1024 * 1024,
    graceMs: config.LAKE_COMPACT_GRACE_SECONDS * 1000,
    removeBefore: config.LAKE_RETENTION_DAYS === undefined ? undefined : daysBefore(now, config.LAKE_RETENTION_DAYS),
    dryRun: args.dryRun,
    say,
  });
  const before = report.compacted.reduce((s, d) => s + d.filesBefore, 0);
  const after = report.compacted.reduce((s, d) => s + d.filesAfter, 0);
  say(
    args.dryRun
      ? `dry run: ${report.compacted.length} days would be merged (${before} files), ` +
          `${report.expired.length} day folders are past retention`
      : `${report.compacted.length} days merged (${before} files into ${after}), ` +
          `${report.expired.length} day folders past retention, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

async function main(): Promise<void> {
  const args = commandLine();
  for (;;) {
    await pass(args);
    if (args.everyMinutes === undefined) return;
    say(`next pass in ${args.everyMinutes} minutes`);
    await new Promise((r) => setTimeout(r, args.everyMinutes! * 60_000));
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) exitWith(2, err.problems.join('; '));
  exitWith(1, (err as Error).message);
});
