// The report's figures against the metric views on the same lake (test/fixtures/metrics.ts's
// requests): known answers first, then each figure held against a direct query of request_metrics,
// team_daily or assignee_daily, with and without each filter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeWithRows, metricLakeRows, type ViewLake } from '../../test/support/views.js';
import {
  firstResponseBuckets,
  NothingToReport,
  readFigures,
  resolutionBuckets,
  type Bucket,
  type Figures,
  type Filters,
  type Step,
} from './figures.js';

let lake: ViewLake;
beforeAll(async () => {
  lake = await lakeWithRows(metricLakeRows());
});
afterAll(() => lake.close());

describe('the figures on the metric views’ fixtures, by hand', () => {
  let figures: Figures;
  const steps: Step[] = [];
  beforeAll(async () => {
    figures = await readFigures(lake.connection, {}, (s) => steps.push(s));
  });

  it('requests created and closed per day, and the backlog at the end of each day', () => {
    expect(figures.workspaces).toEqual([
      { workspace: 'acme', requests: 15, open: 3, through: '2025-03-04 08:23:40' },
      { workspace: 'globex', requests: 1, open: 0, through: '2025-03-01 09:30:00' },
    ]);
    expect(figures.perDay).toEqual([
      { workspace: 'acme', day: '2025-03-01', created: 3, closed: 0 }, // 101, 102, 103
      { workspace: 'acme', day: '2025-03-02', created: 1, closed: 0 }, // 104, just before midnight
      { workspace: 'acme', day: '2025-03-03', created: 0, closed: 2 }, // 101 for good, 104
      { workspace: 'acme', day: '2025-03-04', created: 11, closed: 10 }, // 201-211; 211 stays open
      { workspace: 'globex', day: '2025-03-01', created: 1, closed: 1 },
    ]);
    const open = (workspace: string, counts: number[]) =>
      counts.map((n, i) => ({ workspace, day: `2025-03-0${i + 1}`, open: n }));
    // Every day to the last day anything happened, the days with no row included.
    expect(figures.backlog).toEqual([...open('acme', [3, 4, 2, 3]), ...open('globex', [0, 0, 0, 0])]);
  });

  it('first-response and resolution distributions, with nearest-rank percentiles', () => {
    // acme's first responses: 0 (104), 10..100 (201-210), 730 (101), 1815 (103): 13 values, rank 7
    // is 60, rank ceil(11.7) = 12 is 730.
    expect(figures.firstResponse.counts).toEqual([
      { workspace: 'acme', bucket: 0, requests: 11 },
      { workspace: 'acme', bucket: 1, requests: 1 },
      { workspace: 'acme', bucket: 2, requests: 1 },
      { workspace: 'globex', bucket: 0, requests: 1 },
    ]);
    expect(figures.firstResponse.summary).toEqual([
      { workspace: 'acme', requests: 13, p50S: 60, p90S: 730 },
      { workspace: 'globex', requests: 1, p50S: 60, p90S: 60 },
    ]);
    // acme's resolutions: 200..1100 (201-210), 600 (104), 196200 (101): rank 6 is 600, rank 11 1100.
    expect(figures.resolution.counts).toEqual([
      { workspace: 'acme', bucket: 0, requests: 11 },
      { workspace: 'acme', bucket: 3, requests: 1 },
      { workspace: 'globex', bucket: 0, requests: 1 },
    ]);
    expect(figures.resolution.summary).toEqual([
      { workspace: 'acme', requests: 12, p50S: 600, p90S: 1100 },
      { workspace: 'globex', requests: 1, p50S: 1800, p90S: 1800 },
    ]);
  });

  it('CSAT by team and by assignee, and the slowest open requests', () => {
    expect(figures.csatByTeam).toEqual([
      { workspace: 'acme', id: 'T2', name: 'Billing', mean: 3, ratings: 1 },
      { workspace: 'acme', id: 'T3', name: 'Sales', mean: 3.5, ratings: 2 },
      { workspace: 'acme', id: 'T1', name: 'Support', mean: 4.5, ratings: 1 },
      { workspace: 'globex', id: 'T1', name: 'Globex Support', mean: 1, ratings: 1 },
    ]);
    expect(figures.csatByAssignee).toEqual([
      { workspace: 'acme', id: 'AG2', name: 'Bo', mean: 3.75, ratings: 2 },
      { workspace: 'acme', id: 'AG3', name: 'Dee', mean: 3.5, ratings: 2 },
      { workspace: 'globex', id: 'AG9', name: 'Cy', mean: 1, ratings: 1 },
    ]);
    expect(figures.slowestOpen.map((r) => [r.requestId, r.createdAt, r.firstResponseS, r.reopenCount])).toEqual([
      ['103', '2025-03-01 10:00:00', 1815, 1],
      ['102', '2025-03-01 11:00:00', null, 0],
      ['211', '2025-03-04 08:11:00', null, 0],
    ]);
  });

  it('reports each query as it finishes: what, from which view, how many rows', () => {
    expect(steps.map((s) => [s.what, s.view, s.rows])).toEqual([
      ['requests per workspace', 'request_metrics', 2],
      ['requests created and closed per day', 'team_daily', 5],
      ['open backlog per day', 'team_daily', 8],
      ['first response by bucket', 'request_metrics', 4],
      ['first response percentiles', 'request_metrics', 2],
      ['resolution by bucket', 'request_metrics', 3],
      ['resolution percentiles', 'request_metrics', 2],
      ['CSAT by team', 'team_daily', 4],
      ['CSAT by assignee', 'assignee_daily', 3],
      ['slowest open requests', 'request_metrics', 3],
      ['latest day with payload drift', 'payload_drift_daily', 1],
      ['payload drift first seen in the period', 'payload_drift', 1],
      ['payload drift rising against the days before', 'payload_drift_daily', 0],
    ]);
    expect(steps.every((s) => s.ms >= 0)).toBe(true);
  });
});

/** Rows of request_metrics the filters keep (the workspace only: each figure applies --since itself). */
async function metricsRows(filters: Filters): Promise<Record<string, any>[]> {
  const where = filters.workspace ? `WHERE workspace = '${filters.workspace}'` : '';
  return lake.query(
    `SELECT workspace, request_id, team_id, assignee_id, CAST(created_at AS DATE)::VARCHAR AS created_day,
            CAST(closed_at AS DATE)::VARCHAR AS closed_day, created_at::VARCHAR AS created_at,
            CAST(first_response_s AS DOUBLE) AS first_response_s, CAST(resolution_s AS DOUBLE) AS resolution_s,
            csat_rating
     FROM request_metrics ${where} ORDER BY workspace, request_id`,
  );
}

/** Map.groupBy, which Node 20 lacks. */
function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

const onOrAfter = (day: string | null, since: string | undefined) =>
  day !== null && (since === undefined || day >= since);

/** A distribution computed in JS from request_metrics' values: buckets and nearest-rank percentiles. */
function expectedDistribution(rows: Record<string, any>[], column: string, buckets: readonly Bucket[]) {
  const byWorkspace = groupBy(rows, (r) => r.workspace as string);
  const counts = [];
  const summary = [];
  for (const [workspace, kept] of byWorkspace) {
    const values = kept.map((r) => r[column] as number).sort((a, b) => a - b);
    const rank = (p: number) => values[Math.ceil((p * values.length) / 100) - 1]!;
    summary.push({ workspace, requests: values.length, p50S: rank(50), p90S: rank(90) });
    const bucketOf = (v: number) => {
      const i = buckets.findIndex((b) => b.belowS !== null && v < b.belowS);
      return i === -1 ? buckets.length - 1 : i;
    };
    const tally = groupBy(values, bucketOf);
    for (const bucket of [...tally.keys()].sort((a, b) => a - b)) {
      counts.push({ workspace, bucket, requests: tally.get(bucket)!.length });
    }
  }
  return { buckets, counts, summary };
}

describe.each<Filters>([
  {},
  { since: '2025-03-03' },
  { since: '2025-03-02', workspace: 'acme' },
  { workspace: 'globex' },
])('the figures equal the views’ answers (%o)', (filters) => {
  let figures: Figures;
  let rows: Record<string, any>[];
  beforeAll(async () => {
    figures = await readFigures(lake.connection, filters);
    rows = await metricsRows(filters);
  });

  it('requests per day: request_metrics counted by creation and closing day, and team_daily’s and assignee_daily’s sums', async () => {
    const days = new Set(rows.flatMap((r) => [r.created_day, r.closed_day]).filter((d) => onOrAfter(d, filters.since)));
    const expected = [...new Set(rows.map((r) => r.workspace as string))].flatMap((workspace) =>
      [...days].sort().flatMap((day) => {
        const mine = rows.filter((r) => r.workspace === workspace);
        const created = mine.filter((r) => r.created_day === day).length;
        const closed = mine.filter((r) => r.closed_day === day).length;
        return created + closed > 0 ? [{ workspace, day, created, closed }] : [];
      }),
    );
    expect(figures.perDay).toEqual(expected);
    for (const view of ['team_daily', 'assignee_daily']) {
      const sums = await lake.query(
        `SELECT workspace, day::VARCHAR AS day, CAST(SUM(created) AS INTEGER) AS created, CAST(SUM(closed) AS INTEGER) AS closed
         FROM ${view} GROUP BY ALL ORDER BY workspace, day`,
      );
      const kept = sums.filter(
        (s) => onOrAfter(s.day as string, filters.since) && (!filters.workspace || s.workspace === filters.workspace),
      );
      expect(figures.perDay).toEqual(kept);
    }
  });

  it('backlog: the requests of request_metrics created by the end of each day and not closed by then', () => {
    expect(figures.backlog.length).toBeGreaterThan(0);
    for (const { workspace, day, open } of figures.backlog) {
      const expected = rows.filter(
        (r) => r.workspace === workspace && r.created_day <= day && (r.closed_day === null || r.closed_day > day),
      ).length;
      expect({ workspace, day, open }).toEqual({ workspace, day, open: expected });
    }
    if (filters.since) expect(figures.backlog[0]!.day).toBe(filters.since);
  });

  it('distributions: request_metrics’ first_response_s and resolution_s, bucketed and ranked', () => {
    const answered = rows.filter((r) => r.first_response_s !== null && onOrAfter(r.created_day, filters.since));
    expect(figures.firstResponse).toEqual(expectedDistribution(answered, 'first_response_s', firstResponseBuckets));
    const resolved = rows.filter((r) => r.resolution_s !== null && onOrAfter(r.closed_day, filters.since));
    expect(figures.resolution).toEqual(expectedDistribution(resolved, 'resolution_s', resolutionBuckets));
  });

  it('CSAT: the mean csat_rating of the rated requests closed in the period, by team and by assignee', async () => {
    for (const [figure, key] of [
      [figures.csatByTeam, 'team_id'],
      [figures.csatByAssignee, 'assignee_id'],
    ] as const) {
      const rated = rows.filter((r) => r.csat_rating !== null && onOrAfter(r.closed_day, filters.since));
      const groups = groupBy(rated, (r) => `${r.workspace}/${r[key]}`);
      const expected = [...groups.values()].map((g) => ({
        workspace: g[0]!.workspace,
        id: g[0]![key],
        ratings: g.length,
        mean: g.reduce((s, r) => s + (r.csat_rating as number), 0) / g.length,
      }));
      const got = figure.map(({ workspace, id, ratings, mean }) => ({ workspace, id, ratings, mean }));
      const order = (a: { workspace: string; id: string | null }, b: typeof a) =>
        `${a.workspace}/${a.id}`.localeCompare(`${b.workspace}/${b.id}`);
      expect(got.sort(order)).toEqual(expected.sort(order));
    }
  });

  it('slowest open: request_metrics without closed_at, oldest first', () => {
    const open = rows
      .filter((r) => r.closed_day === null)
      .sort((a, b) => (a.created_at as string).localeCompare(b.created_at));
    expect(figures.slowestOpen.map((r) => [r.workspace, r.requestId])).toEqual(
      open.slice(0, 20).map((r) => [r.workspace, r.request_id]),
    );
  });
});

describe('nothing to report', () => {
  it.each<[Filters, string, RegExp]>([
    [{ workspace: 'initech' }, 'no such workspace', /no workspace 'initech'; its workspaces are acme, globex/],
    [{ since: '2025-03-05' }, 'nothing since', /on or after 2025-03-05 \(its latest event: 2025-03-04 08:23:40\)/],
  ])('%o', async (filters, reason, message) => {
    const failure = await readFigures(lake.connection, filters).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(NothingToReport);
    expect(failure).toMatchObject({ reason, message: expect.stringMatching(message) });
  });

  it('an empty lake', async () => {
    const empty = await lakeWithRows(metricLakeRows().map(({ table }) => ({ table, rows: [] })));
    try {
      await expect(readFigures(empty.connection)).rejects.toMatchObject({ reason: 'no requests' });
    } finally {
      empty.close();
    }
  });

  it('keeps --top rows of the slowest open', async () => {
    const figures = await readFigures(lake.connection, { slowest: 2 });
    expect(figures.slowestOpen.map((r) => r.requestId)).toEqual(['103', '102']);
  });
});
