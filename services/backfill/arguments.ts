// The command line of `npm run backfill`, read into what was asked, with no I/O: the caller prints
// the help or the error and exits.
import { parseArgs } from 'node:util';
import { defaultWorkspace, workspacePattern } from '../../schemas/workspace.js';
import { defaultPageSize, maxPageSize } from './requests-api.js';
import { maxTicketPageSize } from './platform-api.js';

export const usage =
  'usage: npm run backfill -- --since DATE [--until DATE] [--workspace NAME] [--limit N] [--again]\n' +
  '       npm run backfill -- --source platform --since DATE [--workspace NAME] [--limit N] [--again]\n' +
  '       npm run backfill -- --file FILE.ndjson [--workspace NAME] [--again]';

export const help = `${usage}

Publishes support requests from before the webhook existed as events on the webhook's topic
(action BACKFILL, same eventId rule), so the same consumers fill the same tables; request_latest
keeps whichever state of a request is newest by updatedAt, a webhook's or a snapshot's.

  --since DATE      read Thena's requests API (THENA_API_URL, THENA_API_KEY) from DATE on
  --until DATE      ... up to DATE; default: the time this backfill first started. Both ends are
                    inclusive, to the second: --since 2024-01-01 --until 2024-02-01 is January and
                    the first second of February (ranges that meet share that second, harmlessly)
  --source platform read platform tickets instead, from Thena's platform API (GET /v1/tickets,
                    numbered pages), those updated from --since on, as platform events
                    (ticket:snapshot) on the platform topic: ticket_events and ticket_latest keep
                    whichever state of a ticket is newest, a live event's or a snapshot's
  --file FILE       read an NDJSON export instead: one request object a line, blank lines skipped
  --workspace NAME  the workspace the events belong to (default: ${defaultWorkspace})
  --limit N         requests per page of the API (default ${defaultPageSize}, at most ${maxPageSize};
                    tickets: at most ${maxTicketPageSize})
  --again           run a backfill that already completed once more, from the start
  --help            this text

DATE is YYYY-MM-DD (midnight UTC) or an ISO 8601 time with a zone, e.g. 2024-01-31T12:00:00Z.

A checkpoint on the control topic, keyed by the workspace and the range (or the file's SHA-256),
moves on once a page's (or 1,000 lines') events are acknowledged: after a failure or a kill, run
the same command again and it resumes there. A backfill that completed is not run again unless
--again; a second run publishes the same eventIds, so the views do not change.

Objects that cannot be events go to the dead-letter topic with source 'backfill' and a reason:
the webhook's own (missing_or_invalid_keys, ...), invalid_json, not_an_object, too_large, or
no_source_time (neither updatedAt nor createdAt: it could not be ordered against webhooks), and
for tickets no_ticket_id.

Exit status: 0 done or already done; 1 failed (the message says why, the checkpoint is kept);
2 a bad argument or configuration.`;

interface Common {
  workspace: string;
  again: boolean;
}
export type BackfillArgs = Common &
  (
    | { mode: 'api'; since: Date; until?: Date; pageSize: number }
    | { mode: 'platform'; since: Date; pageSize: number }
    | { mode: 'file'; path: string }
  );

export type Parsed = { kind: 'run'; args: BackfillArgs } | { kind: 'help' } | { kind: 'error'; message: string };

/** YYYY-MM-DD as midnight UTC, or an ISO 8601 time with a zone; undefined for anything else. */
export function parseDate(text: string): Date | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const day = new Date(`${text}T00:00:00Z`);
    // 2024-02-30 parses as 1 March: refuse a day the calendar does not have.
    return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(text) ? day : undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text)) return undefined;
  const time = new Date(text);
  return Number.isNaN(time.getTime()) ? undefined : time;
}

const dateHint = 'give YYYY-MM-DD (midnight UTC) or an ISO time with a zone, e.g. 2024-01-31T12:00:00Z';

function apiArgs(values: { since?: string; until?: string; limit?: string }, common: Common, now: Date): Parsed {
  const since = parseDate(values.since!);
  if (!since) return { kind: 'error', message: `--since: '${values.since}' is not a date; ${dateHint}` };
  const until = values.until === undefined ? undefined : parseDate(values.until);
  if (values.until !== undefined && !until) {
    return { kind: 'error', message: `--until: '${values.until}' is not a date; ${dateHint}` };
  }
  if ((until ?? now).getTime() <= since.getTime()) {
    const end = until ? `--until (${until.toISOString()})` : `now (${now.toISOString()})`;
    return { kind: 'error', message: `--since (${since.toISOString()}) must be before ${end}` };
  }
  const pageSize = Number(values.limit ?? defaultPageSize);
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    return { kind: 'error', message: `--limit: '${values.limit}' is not a whole number of requests above 0` };
  }
  return { kind: 'run', args: { ...common, mode: 'api', since, ...(until ? { until } : {}), pageSize } };
}

/** `--source platform`: --since (and --limit); the API is read whole, so no --until, and no --file. */
function platformArgs(
  values: { since?: string; until?: string; limit?: string; file?: string },
  common: Common,
  now: Date,
): Parsed {
  if (values.file !== undefined)
    return { kind: 'error', message: '--file goes with the requests source, not with --source platform' };
  if (values.until !== undefined) {
    return {
      kind: 'error',
      message: '--until goes with the requests API; the platform API is read whole, from --since on',
    };
  }
  if (values.since === undefined) return { kind: 'error', message: '--source platform needs --since DATE' };
  const read = apiArgs(values, common, now);
  if (read.kind !== 'run' || read.args.mode !== 'api') return read;
  return { kind: 'run', args: { ...common, mode: 'platform', since: read.args.since, pageSize: read.args.pageSize } };
}

/** What the command line asks for, the help, or the first problem with it. */
export function parseArguments(argv: string[], now = new Date()): Parsed {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        file: { type: 'string' },
        source: { type: 'string', default: 'requests' },
        workspace: { type: 'string', default: defaultWorkspace },
        limit: { type: 'string' },
        again: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
  if (values.help) return { kind: 'help' };
  if (!workspacePattern.test(values.workspace)) {
    return {
      kind: 'error',
      message: `--workspace: '${values.workspace}' is not a workspace name; expected ${workspacePattern.source}`,
    };
  }
  const common = { workspace: values.workspace, again: values.again };
  if (values.source !== 'requests' && values.source !== 'platform') {
    return {
      kind: 'error',
      message: `--source: '${values.source}' is not a source; give requests (the default) or platform`,
    };
  }
  if (values.source === 'platform') return platformArgs(values, common, now);
  if ((values.since === undefined) === (values.file === undefined)) {
    return { kind: 'error', message: 'give either --since DATE (the API) or --file FILE.ndjson (an export)' };
  }
  if (values.file !== undefined) {
    const apiOnly = (['until', 'limit'] as const).filter((k) => values[k] !== undefined);
    if (apiOnly.length > 0) return { kind: 'error', message: `--${apiOnly[0]} goes with --since, not with --file` };
    return { kind: 'run', args: { ...common, mode: 'file', path: values.file } };
  }
  return apiArgs(values, common, now);
}
