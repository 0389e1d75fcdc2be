// `npm run report -- [--out report.html] [--since DATE] [--workspace NAME] [--top N]`: the support
// report (see arguments.ts's help). Prints a line on stderr per query as it reads (which query, from
// which view, how many rows), then where it wrote the file and its size on stdout. A problem is one
// line on stderr: exit 2 for a bad argument or configuration, 1 for nothing to report or a failure.
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { cli, type Cli } from '../shared/cli.js';
import { ConfigError, loadConfig, type Config } from '../shared/config.js';
import { help, parseArguments, usage, type ReportArgs } from './arguments.js';
import type { NothingToReport, Step } from './figures.js';

const command = cli('report', { usage, help, parse: parseArguments });
const { say, commandLine } = command;
// Annotated, so that TypeScript knows the code after a call is not reached.
const exitWith: Cli<ReportArgs>['exitWith'] = command.exitWith;

/** The lake's folder, or exit 1 saying how to get one. */
function lakeConfig(): Config {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) exitWith(2, err.problems.join('; '));
    throw err;
  }
  const dir = config.LAKE_DIR;
  if (!dir.startsWith('gs://') && (!existsSync(dir) || !statSync(dir).isDirectory())) {
    exitWith(
      1,
      `no lake at '${dir}' (LAKE_DIR); run the pipeline (npm start) to fill it, or set LAKE_DIR to the lake's folder`,
    );
  }
  return config;
}

const kilobytes = (bytes: number) => `${Math.max(1, Math.round(bytes / 1024)).toLocaleString('en-US')} kB`;
const showStep = (s: Step) =>
  say(`${s.what} (${s.view}): ${s.rows.toLocaleString('en-US')} row${s.rows === 1 ? '' : 's'}, ${Math.round(s.ms)} ms`);

const hints: Record<NothingToReport['reason'], string> = {
  'no requests':
    'send webhooks through the pipeline (npm start) or load history (npm run backfill), and wait for the consumers to close their files (LAKE_FILE_MAX_AGE_SECONDS)',
  'no such workspace': 'name one of those with --workspace, or leave it out for all',
  'nothing since': 'give an earlier --since',
};

function nothingToReport(err: NothingToReport, dir: string): never {
  exitWith(1, `nothing to report from the lake at '${dir}': ${err.message}; ${hints[err.reason]}`);
}

/** Writes beside the target and renames, so a reader never sees half a report. */
function writeReport(out: string, html: string): number {
  const partial = `${out}.${process.pid}.partial`;
  writeFileSync(partial, html);
  renameSync(partial, out);
  return statSync(out).size;
}

async function main(): Promise<void> {
  const args = commandLine();
  const out = resolve(args.out);
  if (!existsSync(dirname(out))) exitWith(2, `--out: no folder '${dirname(out)}'; create it or write elsewhere`);
  const config = lakeConfig();
  const dir = config.LAKE_DIR;
  say(`reading the lake at ${dir}`);
  // DuckDB, then Vega, load only once they are needed (about half a second each), so a mistake in
  // the command line or the lake's place is answered at once.
  const { readLake, lakeStoreFrom } = await import('../lake/index.js');
  const { NothingToReport, readFigures } = await import('./figures.js');
  const filters = { workspace: args.workspace, since: args.since, slowest: args.top };
  const figures = await readLake(lakeStoreFrom(config), (connection) =>
    readFigures(connection, filters, showStep),
  ).catch((err: unknown) => {
    if (err instanceof NothingToReport) nothingToReport(err, dir);
    throw err;
  });
  const { drawCharts } = await import('./charts.js');
  const { renderReport } = await import('./html.js');
  const charts = await drawCharts(figures);
  say(`drew ${charts.filter((c) => c.svg !== null).length} charts`);
  const size = writeReport(out, renderReport({ figures, charts, generatedAt: new Date(), lakeDir: dir }));
  process.stdout.write(`report: wrote ${out} (${kilobytes(size)})\n`);
}

main().catch((err: unknown) => exitWith(1, (err as Error).message ?? String(err)));
