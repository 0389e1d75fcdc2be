// The report's figures: SQL over the metric views (request_metrics, team_daily, assignee_daily) into
// plain data, unformatted, so a test can hold each one against the views it comes from. Every
// number is the views' own: the daily figures are sums of team_daily rows, CSAT is team_daily's and
// assignee_daily's, the distributions and the slowest open requests read request_metrics.
//
// What --since keeps, per figure: the days from it on (requests created and closed per day, the
// backlog at the end of each day: older requests still open count, since they are the backlog);
// the first responses of requests created from it on; the resolutions and ratings of requests
// closed from it on (the days team_daily counts them on). The slowest open requests are the oldest
// of the backlog now, whenever they were created.
import type { DuckDBConnection } from '@duckdb/node-api';
import { readDriftFigures, type DriftFigures } from './drift.js';
import { reader, type Filters, type Read, type Step } from './query.js';

export type { Filters, Step } from './query.js';

export interface WorkspaceTotals {
  workspace: string;
  requests: number;
  open: number;
  /** The latest state's event_time of its most recently updated request (UTC, to the second). */
  through: string | null;
}
export interface DayCounts {
  workspace: string;
  day: string;
  created: number;
  closed: number;
}
export interface BacklogDay {
  workspace: string;
  day: string;
  open: number;
}
/** A bucket holds the durations below `belowS` and not in an earlier bucket; the last has none. */
export interface Bucket {
  label: string;
  belowS: number | null;
}
export interface BucketCount {
  workspace: string;
  /** Index into the distribution's buckets. */
  bucket: number;
  requests: number;
}
/** Nearest-rank percentiles, as team_daily defines them, over a workspace's requests. */
export interface DurationSummary {
  workspace: string;
  requests: number;
  p50S: number;
  p90S: number;
}
export interface Distribution {
  buckets: readonly Bucket[];
  counts: BucketCount[];
  summary: DurationSummary[];
}
/** Mean CSAT of a team's (or an assignee's) rated requests; id NULL: no team (unassigned). */
export interface CsatGroup {
  workspace: string;
  id: string | null;
  name: string | null;
  mean: number;
  ratings: number;
}
export interface OpenRequest {
  workspace: string;
  requestId: string;
  team: string | null;
  assignee: string | null;
  customer: string | null;
  status: string | null;
  /** UTC, 'YYYY-MM-DD HH:MM:SS'. */
  createdAt: string | null;
  firstResponseS: number | null;
  escalated: boolean;
  reopenCount: number;
}

export interface Figures {
  filters: Filters;
  /** The workspaces the report covers, with their totals (all time). */
  workspaces: WorkspaceTotals[];
  perDay: DayCounts[];
  backlog: BacklogDay[];
  firstResponse: Distribution;
  resolution: Distribution;
  csatByTeam: CsatGroup[];
  csatByAssignee: CsatGroup[];
  /** The oldest open requests, oldest first, at most `filters.slowest`. */
  slowestOpen: OpenRequest[];
  /** Payload drift: new paths in the period, and those whose problems rose. */
  drift: DriftFigures;
}

export const firstResponseBuckets: readonly Bucket[] = [
  { label: 'under 5 min', belowS: 300 },
  { label: '5–15 min', belowS: 900 },
  { label: '15–60 min', belowS: 3600 },
  { label: '1–4 h', belowS: 4 * 3600 },
  { label: '4–24 h', belowS: 86_400 },
  { label: '1 day or more', belowS: null },
];

export const resolutionBuckets: readonly Bucket[] = [
  { label: 'under 1 h', belowS: 3600 },
  { label: '1–4 h', belowS: 4 * 3600 },
  { label: '4–24 h', belowS: 86_400 },
  { label: '1–3 days', belowS: 3 * 86_400 },
  { label: '3–7 days', belowS: 7 * 86_400 },
  { label: '7 days or more', belowS: null },
];

/** Nothing to draw: no request at all, no such workspace, or nothing since the date. */
export class NothingToReport extends Error {
  override name = 'NothingToReport';
  constructor(
    readonly reason: 'no requests' | 'no such workspace' | 'nothing since',
    message: string,
  ) {
    super(message);
  }
}

const inWorkspace = '($workspace IS NULL OR workspace = $workspace)';
const onOrAfter = (column: string) => `($since IS NULL OR ${column} >= CAST($since AS DATE))`;
const second = (column: string) => `strftime(${column}, '%Y-%m-%d %H:%M:%S')`;

/** Every workspace of the lake with its requests (all time), whatever the filters. */
function workspaceTotals(read: Read): Promise<WorkspaceTotals[]> {
  return read<WorkspaceTotals>(
    'requests per workspace',
    'request_metrics',
    `SELECT workspace, CAST(COUNT(*) AS INTEGER) AS requests,
            CAST(COUNT(*) FILTER (WHERE closed_at IS NULL) AS INTEGER) AS open,
            ${second('MAX(last_event_at)')} AS through
     FROM request_metrics GROUP BY workspace ORDER BY workspace`,
  );
}

function perDay(read: Read): Promise<DayCounts[]> {
  return read<DayCounts>(
    'requests created and closed per day',
    'team_daily',
    `SELECT workspace, strftime(day, '%Y-%m-%d') AS day,
            CAST(SUM(created) AS INTEGER) AS created, CAST(SUM(closed) AS INTEGER) AS closed
     FROM team_daily WHERE ${inWorkspace} AND ${onOrAfter('day')}
     GROUP BY workspace, day ORDER BY workspace, day`,
  );
}

/**
 * The open backlog at the end of every day, from the workspace's first day to the last day anything
 * happened in the report: team_daily has a row only on days a team's backlog may change, so each
 * row's change from the team's previous row is summed over the days.
 */
function backlog(read: Read): Promise<BacklogDay[]> {
  return read<BacklogDay>(
    'open backlog per day',
    'team_daily',
    `WITH changes AS (
       SELECT workspace, day, SUM(change) AS change
       FROM (
         SELECT workspace, day, open_at_end_of_day - COALESCE(LAG(open_at_end_of_day) OVER (
           PARTITION BY workspace, team_id ORDER BY day), 0) AS change
         FROM team_daily WHERE ${inWorkspace}
       )
       GROUP BY workspace, day
     ),
     firsts AS (SELECT workspace, MIN(day) AS first_day FROM changes GROUP BY workspace),
     last AS (SELECT MAX(day) AS last_day FROM changes),
     calendar AS (
       SELECT f.workspace, CAST(d.day AS DATE) AS day
       FROM firsts AS f, last AS l,
            generate_series(CAST(f.first_day AS TIMESTAMP), CAST(l.last_day AS TIMESTAMP), INTERVAL 1 DAY) AS d(day)
     )
     SELECT c.workspace, strftime(c.day, '%Y-%m-%d') AS day,
            CAST(SUM(COALESCE(x.change, 0)) OVER (PARTITION BY c.workspace ORDER BY c.day) AS INTEGER) AS open
     FROM calendar AS c LEFT JOIN changes AS x ON x.workspace = c.workspace AND x.day = c.day
     QUALIFY ${onOrAfter('c.day')}
     ORDER BY c.workspace, c.day`,
  );
}

/** The CASE expression giving a duration's bucket index. */
function bucketCase(column: string, buckets: readonly Bucket[]): string {
  const whens = buckets.flatMap((b, i) => (b.belowS === null ? [] : [`WHEN ${column} < ${b.belowS} THEN ${i}`]));
  return `CASE ${whens.join(' ')} ELSE ${buckets.length - 1} END`;
}

/** How a duration column of request_metrics spreads, for the requests `where` keeps. */
async function distribution(
  read: Read,
  what: string,
  column: string,
  where: string,
  buckets: readonly Bucket[],
): Promise<Distribution> {
  const kept = `FROM request_metrics WHERE ${column} IS NOT NULL AND ${inWorkspace} AND ${where}`;
  const counts = await read<BucketCount>(
    `${what} by bucket`,
    'request_metrics',
    `SELECT workspace, ${bucketCase(column, buckets)} AS bucket, CAST(COUNT(*) AS INTEGER) AS requests
     ${kept} GROUP BY ALL ORDER BY workspace, bucket`,
  );
  // Nearest rank, as team_daily: the first rank r with r·100 >= p·n.
  const summary = await read<DurationSummary>(
    `${what} percentiles`,
    'request_metrics',
    `SELECT workspace, CAST(MAX(n) AS INTEGER) AS requests,
            CAST(MIN(CASE WHEN r * 100 >= n * 50 THEN s END) AS DOUBLE) AS "p50S",
            CAST(MIN(CASE WHEN r * 100 >= n * 90 THEN s END) AS DOUBLE) AS "p90S"
     FROM (
       SELECT workspace, ${column} AS s,
              ROW_NUMBER() OVER (PARTITION BY workspace ORDER BY ${column}) AS r,
              COUNT(*) OVER (PARTITION BY workspace) AS n
       ${kept}
     )
     GROUP BY workspace ORDER BY workspace`,
  );
  return { buckets, counts, summary };
}

/** Mean CSAT per team or assignee over the days kept: each day's mean weighted by its count. */
function csat(read: Read, view: 'team_daily' | 'assignee_daily'): Promise<CsatGroup[]> {
  const who = view === 'team_daily' ? 'team' : 'assignee';
  return read<CsatGroup>(
    `CSAT by ${who}`,
    view,
    `SELECT workspace, ${who}_id AS id, ${who}_name AS name,
            SUM(csat_mean * csat_count) / SUM(csat_count) AS mean, CAST(SUM(csat_count) AS INTEGER) AS ratings
     FROM ${view} WHERE csat_count > 0 AND ${inWorkspace} AND ${onOrAfter('day')}
     GROUP BY workspace, ${who}_id, ${who}_name ORDER BY workspace, name NULLS LAST, id`,
  );
}

function slowestOpen(read: Read, limit: number): Promise<OpenRequest[]> {
  return read<OpenRequest>(
    'slowest open requests',
    'request_metrics',
    `SELECT workspace, request_id AS "requestId", team_name AS team, assignee_name AS assignee,
            customer_name AS customer, status, ${second('created_at')} AS "createdAt",
            CAST(first_response_s AS DOUBLE) AS "firstResponseS", escalated,
            CAST(reopen_count AS INTEGER) AS "reopenCount"
     FROM request_metrics WHERE closed_at IS NULL AND ${inWorkspace}
     ORDER BY created_at NULLS LAST, workspace, request_id
     LIMIT ${Math.trunc(limit)}`,
  );
}

/** The workspaces the filters keep, or why there is nothing to report. */
function coveredWorkspaces(all: WorkspaceTotals[], filters: Filters): WorkspaceTotals[] {
  if (all.length === 0) throw new NothingToReport('no requests', 'it holds no request yet');
  if (filters.workspace === undefined) return all;
  const kept = all.filter((w) => w.workspace === filters.workspace);
  if (kept.length === 0) {
    throw new NothingToReport(
      'no such workspace',
      `it has no workspace '${filters.workspace}'; its workspaces are ${all.map((w) => w.workspace).join(', ')}`,
    );
  }
  return kept;
}

/**
 * Reads the figures, reporting each query to `onStep` as it finishes. Throws NothingToReport when the
 * lake has no request, the workspace is not in it, or nothing was created or closed since the date.
 */
export async function readFigures(
  connection: DuckDBConnection,
  filters: Filters = {},
  onStep: (step: Step) => void = () => {},
): Promise<Figures> {
  const read = reader(connection, filters, onStep);
  const workspaces = coveredWorkspaces(await workspaceTotals(read), filters);
  const days = await perDay(read);
  if (days.length === 0) {
    const latest = workspaces
      .map((w) => w.through ?? '')
      .sort()
      .at(-1);
    // Without --since, only requests with no createdAt nor closing could leave no day at all.
    if (filters.since === undefined) throw new NothingToReport('no requests', 'no request in it has a creation day');
    throw new NothingToReport(
      'nothing since',
      `no request in it was created or closed on or after ${filters.since} (its latest event: ${latest})`,
    );
  }
  return {
    filters,
    workspaces,
    perDay: days,
    backlog: await backlog(read),
    firstResponse: await distribution(
      read,
      'first response',
      'first_response_s',
      onOrAfter('created_at'),
      firstResponseBuckets,
    ),
    resolution: await distribution(read, 'resolution', 'resolution_s', onOrAfter('closed_at'), resolutionBuckets),
    csatByTeam: await csat(read, 'team_daily'),
    csatByAssignee: await csat(read, 'assignee_daily'),
    slowestOpen: await slowestOpen(read, filters.slowest ?? 20),
    drift: await readDriftFigures(read, filters),
  };
}
