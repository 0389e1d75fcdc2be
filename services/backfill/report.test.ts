import { describe, expect, it } from 'vitest';
import type { BackfillRecord } from '../../schemas/control.js';
import { alreadyDone, progressReporter, summary } from './report.js';
import type { Source } from './sources.js';

const record: BackfillRecord = {
  kind: 'backfill',
  workspace: 'acme',
  source: 'the Thena requests API, 2024-01-01T00:00:00.000Z to 2024-02-01T00:00:00.000Z',
  phase: 'done',
  unit: 'page',
  done: 12,
  read: 1150,
  published: 1140,
  deadLettered: 10,
  startedAt: '2026-11-30T09:00:00.000Z',
  at: '2026-11-30T10:00:00.000Z',
};

describe('the report', () => {
  it('says when a completed backfill ran and what it published, and how to run it again', () => {
    expect(alreadyDone(record)).toBe(
      'Backfill of the Thena requests API, 2024-01-01T00:00:00.000Z to 2024-02-01T00:00:00.000Z for workspace acme ' +
        'already completed at 2026-11-30T10:00:00.000Z (12 pages, 1,150 requests read, 1,140 published, 10 dead-lettered); nothing published.\n' +
        '--again runs it from the start: the same snapshots get the same eventIds, so the views do not change.\n',
    );
  });

  it('sums up a resumed run: what this run did, and the whole backfill', () => {
    const text = summary(
      {
        outcome: 'done',
        record,
        resumedAt: 8,
        run: {
          chunks: 5,
          read: 480,
          published: 476,
          deadLettered: 4,
          reasons: { no_source_time: 3, not_an_object: 1 },
        },
      },
      14_200,
    );
    expect(text.split('\n')).toEqual([
      'Backfill of the Thena requests API, 2024-01-01T00:00:00.000Z to 2024-02-01T00:00:00.000Z for workspace acme: complete in 14.2 s.',
      '  pages read:    5 (pages 8 to 12, resumed at page 8)',
      '  requests read: 480',
      '  published:     476 events on thena.request-events.v1',
      "  dead-lettered: 4 (no_source_time 3, not_an_object 1) on thena.request-events.dlq.v1, source 'backfill'",
      '  in all, with the runs before: 12 pages, 1,150 requests read, 1,140 published, 10 dead-lettered',
      '',
    ]);
  });

  it('prints a progress line at most every interval: pages with a rate, lines against their total', () => {
    let t = 0;
    const lines: string[] = [];
    const report = progressReporter((l) => lines.push(l), { intervalMs: 2000, now: () => t });
    const pages = { unit: 'page', describe: 'api' } as Source;
    const running = { ...record, phase: 'running' as const };
    t = 1000;
    report({ ...running, done: 1 }, pages);
    t = 1500;
    report({ ...running, done: 2 }, pages);
    t = 4000;
    report({ ...running, done: 9, read: 900, published: 890, deadLettered: 10 }, pages);
    expect(lines).toEqual([
      'backfill: page 1, 1,150 requests read, 1,140 published, 10 dead-lettered, 1.0 pages/s',
      'backfill: page 9, 900 requests read, 890 published, 10 dead-lettered, 2.3 pages/s',
    ]);
    const file = { unit: 'line', describe: 'file', total: 4000 } as Source;
    const fileLines: string[] = [];
    const fileReport = progressReporter((l) => fileLines.push(l), { intervalMs: 2000, now: () => t });
    t = 6000;
    fileReport({ ...running, unit: 'line', done: 1000 }, file);
    expect(fileLines).toEqual([expect.stringMatching(/^backfill: 1,000 of 4,000 lines \(25%\), /)]);
  });
});
