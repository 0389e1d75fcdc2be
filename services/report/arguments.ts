// The command line of `npm run report`, read into what was asked, with no I/O: the caller prints
// the help or the error and exits.
import { parseArgs } from 'node:util';
import { workspacePattern } from '../../schemas/workspace.js';

export const usage = 'usage: npm run report -- [--out FILE.html] [--since YYYY-MM-DD] [--workspace NAME] [--top N]';

export const help = `${usage}

Writes one self-contained HTML file (charts drawn to SVG, no script, no network needed to open it)
from the lake at LAKE_DIR, read through DuckDB's metric views request_metrics, team_daily and
assignee_daily: requests created and closed per day, the open backlog, first-response and
resolution times, CSAT by team and by assignee, and the slowest open requests.

  --out FILE        where to write it (default: report.html); its folder must exist
  --since DATE      from DATE (YYYY-MM-DD, UTC) on: the days from DATE, first responses of the
                    requests created since, resolutions and ratings of those closed since. The
                    backlog and the open requests count older requests still open.
  --workspace NAME  one workspace (default: all, a panel or a line per workspace)
  --top N           rows of the slowest-open table (default 20)
  --help            this text

Exit status: 0 written; 1 nothing to report (no lake, no request, no such workspace, nothing
since DATE) or a failure; 2 a bad argument or configuration.`;

export interface ReportArgs {
  out: string;
  since?: string;
  workspace?: string;
  top: number;
}

export type Parsed = { kind: 'run'; args: ReportArgs } | { kind: 'help' } | { kind: 'error'; message: string };

/** Whether `text` is a calendar day written YYYY-MM-DD (2024-02-30 is not). */
export function isDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(text);
}

function checked(values: { out: string; since?: string; workspace?: string; top: string }): Parsed {
  if (values.since !== undefined && !isDay(values.since)) {
    return {
      kind: 'error',
      message: `--since: '${values.since}' is not a day; give YYYY-MM-DD (UTC), e.g. 2026-01-31`,
    };
  }
  if (values.workspace !== undefined && !workspacePattern.test(values.workspace)) {
    return {
      kind: 'error',
      message: `--workspace: '${values.workspace}' is not a workspace name; expected ${workspacePattern.source}`,
    };
  }
  const top = Number(values.top);
  if (!Number.isInteger(top) || top < 1) {
    return { kind: 'error', message: `--top: '${values.top}' is not a whole number of rows above 0` };
  }
  if (values.out.trim() === '') return { kind: 'error', message: '--out: give a file name, e.g. report.html' };
  const { since, workspace } = values;
  return {
    kind: 'run',
    args: { out: values.out, top, ...(since === undefined ? {} : { since }), ...(workspace ? { workspace } : {}) },
  };
}

/** What the command line asks for, the help, or the first problem with it. */
export function parseArguments(argv: string[]): Parsed {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        out: { type: 'string', default: 'report.html' },
        since: { type: 'string' },
        workspace: { type: 'string' },
        top: { type: 'string', default: '20' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
  if (values.help) return { kind: 'help' };
  return checked(values);
}
