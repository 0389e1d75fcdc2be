// The report's payload-drift figures, read from the views payload_drift and payload_drift_daily
// (tables/drift/): the paths first seen in the period, and the paths seen before whose events rose
// against the period of as many days just before it. The period is --since to the latest day with a
// finding; without --since, the last 7 days up to that day.
import type { Filters, Read } from './query.js';

export interface DriftPath {
  workspace: string;
  source: string;
  path: string;
  kind: string;
  /** UTC, 'YYYY-MM-DD HH:MM:SS'. */
  firstSeen: string;
  /** Distinct events with the finding, all time. */
  events: number;
  example: string | null;
}

export interface DriftRise {
  workspace: string;
  source: string;
  path: string;
  kind: string;
  /** Distinct events with the finding in the days before the period (as many as the period has). */
  before: number;
  /** Distinct events with the finding in the period. */
  during: number;
}

export interface DriftFigures {
  /** The period, YYYY-MM-DD (UTC) both ends included; null when no finding is recorded. */
  period: { from: string; to: string; previousFrom: string } | null;
  newPaths: DriftPath[];
  rising: DriftRise[];
}

/** The default period without --since, in days. */
export const driftDefaultDays = 7;

const inWorkspace = '($workspace IS NULL OR workspace = $workspace)';
const day = (d: string) => `DATE '${d}'`;
const shiftDays = (d: string, days: number) =>
  new Date(Date.parse(`${d}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);

export async function readDriftFigures(read: Read, filters: Filters): Promise<DriftFigures> {
  const [latest] = await read<{ last: string | null }>(
    'latest day with payload drift',
    'payload_drift_daily',
    `SELECT strftime(MAX(day), '%Y-%m-%d') AS last FROM payload_drift_daily WHERE ${inWorkspace}`,
  );
  const last = latest?.last ?? null;
  if (last === null) return { period: null, newPaths: [], rising: [] };
  const from = filters.since ?? shiftDays(last, 1 - driftDefaultDays);
  const to = last < from ? from : last;
  const previousFrom = shiftDays(from, -(daysBetween(from, to) + 1));
  const newPaths = await read<DriftPath>(
    'payload drift first seen in the period',
    'payload_drift',
    `SELECT workspace, source, path, kind, strftime(first_seen, '%Y-%m-%d %H:%M:%S') AS "firstSeen",
            CAST(events AS INTEGER) AS events, example
     FROM payload_drift WHERE ${inWorkspace} AND CAST(first_seen AS DATE) >= ${day(from)}
     ORDER BY first_seen, workspace, source, path, kind`,
  );
  const rising = await read<DriftRise>(
    'payload drift rising against the days before',
    'payload_drift_daily',
    `SELECT d.workspace, d.source, d.path, d.kind,
            CAST(COALESCE(SUM(d.events) FILTER (WHERE d.day < ${day(from)}), 0) AS INTEGER) AS before,
            CAST(COALESCE(SUM(d.events) FILTER (WHERE d.day >= ${day(from)}), 0) AS INTEGER) AS during
     FROM payload_drift_daily AS d
     JOIN payload_drift AS p USING (workspace, source, path, kind)
     WHERE ${inWorkspace} AND d.day BETWEEN ${day(previousFrom)} AND ${day(to)}
       AND CAST(p.first_seen AS DATE) < ${day(from)}
     GROUP BY ALL HAVING during > before
     ORDER BY during - before DESC, workspace, source, path, kind`,
  );
  return { period: { from, to, previousFrom }, newPaths, rising };
}
