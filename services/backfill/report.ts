// What `npm run backfill` prints: the progress line while it works and the summary at the end.
import type { BackfillRecord } from '../../schemas/control.js';
import { topics } from '../../schemas/topics.js';
import { progress } from '../shared/progress.js';
import { count, type BackfillReport } from './backfill.js';
import type { Source } from './sources.js';

const plural = (unit: string, n: number) => `${count(n)} ${unit}${n === 1 ? '' : 's'}`;

/** What a backfill reads and where its events go: requests by default, tickets for the platform source. */
export interface Reading {
  things: 'requests' | 'tickets';
  topic: string;
}
export const readingRequests: Reading = { things: 'requests', topic: topics.requestEvents.name };
export const readingTickets: Reading = { things: 'tickets', topic: topics.platformEvents.name };

export function elapsed(ms: number): string {
  const s = ms / 1000;
  if (s < 90) return `${s.toFixed(1)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** Totals of a checkpoint, e.g. "12 pages, 1,150 requests read, 1,140 published, 10 dead-lettered". */
export const totals = (r: BackfillRecord, reading = readingRequests) =>
  `${plural(r.unit, r.done)}, ${count(r.read)} ${reading.things} read, ${count(r.published)} published, ${count(r.deadLettered)} dead-lettered`;

/** The lines printed when the checkpoint says the backfill completed and --again was not given. */
export function alreadyDone(r: BackfillRecord, reading = readingRequests): string {
  return (
    `Backfill of ${r.source} for workspace ${r.workspace} already completed at ${r.at} ` +
    `(${totals(r, reading)}); nothing published.\n` +
    `--again runs it from the start: the same snapshots get the same eventIds, so the views do not change.\n`
  );
}

/** The summary of a run that read its source to the end. */
export function summary(
  report: Extract<BackfillReport, { outcome: 'done' }>,
  ms: number,
  reading = readingRequests,
): string {
  const { record: r, run } = report;
  const first = report.resumedAt ?? 1;
  const span = run.chunks === 0 ? 'nothing left to read' : `${r.unit}s ${count(first)} to ${count(r.done)}`;
  const resumed = report.resumedAt === undefined ? '' : `, resumed at ${r.unit} ${count(report.resumedAt)}`;
  const reasons = Object.entries(run.reasons)
    .map(([reason, n]) => `${reason} ${count(n)}`)
    .join(', ');
  const lines = [
    `Backfill of ${r.source} for workspace ${r.workspace}: complete in ${elapsed(ms)}.`,
    `  ${r.unit}s read:    ${count(run.chunks === 0 ? 0 : r.done - first + 1)} (${span}${resumed})`,
    `  ${reading.things} read: ${reading.things === 'tickets' ? ' ' : ''}${count(run.read)}`,
    `  published:     ${count(run.published)} events on ${reading.topic}`,
    `  dead-lettered: ${count(run.deadLettered)}${reasons ? ` (${reasons}) on ${topics.deadLetter.name}, source 'backfill'` : ''}`,
  ];
  if (report.resumedAt !== undefined) lines.push(`  in all, with the runs before: ${totals(r, reading)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The progress line after each chunk: a file's lines against its total (the shared progress line,
 * with a rate and the time left); an API's pages, whose number is not known ahead, with a rate.
 */
export function progressReporter(
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  opts: { intervalMs?: number; now?: () => number; reading?: Reading } = {},
): (record: BackfillRecord, source: Source) => void {
  const things = (opts.reading ?? readingRequests).things;
  const now = opts.now ?? Date.now;
  const intervalMs = opts.intervalMs ?? 2000;
  const lines = progress('backfill', { unit: 'lines', write, intervalMs, now });
  const started = now();
  let firstDone: number | undefined;
  let lastPrinted = -Infinity;
  return (record, source) => {
    if (source.total !== undefined) return lines.update(record.done, source.total);
    firstDone ??= record.done - 1;
    const t = now();
    if (t - lastPrinted < intervalMs) return;
    lastPrinted = t;
    const rate = (record.done - firstDone) / Math.max(0.001, (t - started) / 1000);
    write(
      `backfill: page ${count(record.done)}, ${count(record.read)} ${things} read, ${count(record.published)} published, ` +
        `${count(record.deadLettered)} dead-lettered, ${rate.toFixed(1)} pages/s`,
    );
  };
}
