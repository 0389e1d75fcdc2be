// The metric views' known answers, every column of every row, on the requests of
// test/fixtures/metrics.ts run through the four request flatteners into lake files. The SQL DuckDB
// runs here is the SQL BigQuery runs (services/bigquery), so these are both engines' answers; the
// hand computations are in the comments.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { percentileResolution, percentileResponses } from '../../test/fixtures/metrics.js';
import { lakeWithRows, metricLakeRows, type ViewLake } from '../../test/support/views.js';

/** A TIMESTAMP as DuckDB prints it: no zone, the fraction without trailing zeros. */
const ts = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.?0*Z$/, '');

/** A request_metrics row: every column, NULL unless said (BIGINT columns read as text). */
const metrics = (row: Record<string, unknown>) => ({
  workspace: 'acme',
  request_id: null,
  team_id: null,
  team_name: null,
  customer_name: null,
  status: null,
  created_at: null,
  first_assigned_at: null,
  first_response_at: null,
  closed_at: null,
  time_to_assign_s: null,
  first_response_s: null,
  resolution_s: null,
  reopen_count: '0',
  escalated: false,
  csat_rating: null,
  csat_responses: '0',
  activity_count: null,
  assignee_id: null,
  assignee_name: null,
  last_event_at: null,
  ...row,
});

/** A team_daily or assignee_daily row's figures, NULL (count 0) unless said. */
const daily = (row: Record<string, unknown>) => ({
  workspace: 'acme',
  created: '0',
  closed: '0',
  first_response_p50_s: null,
  first_response_p90_s: null,
  resolution_p50_s: null,
  csat_mean: null,
  csat_count: '0',
  ...row,
});

const acme101 = metrics({
  request_id: '101',
  team_id: 'T1',
  team_name: 'Support',
  customer_name: 'Acme Corp',
  status: 'CLOSED',
  created_at: '2025-03-01 09:00:00',
  first_assigned_at: '2025-03-01 09:05:30.7', // assigned to Ana in the second state
  first_response_at: '2025-03-01 09:12:10.9', // m2 by AG1; m1 is the requestor's
  closed_at: '2025-03-03 15:30:00.999', // the final closing, not the two before it
  time_to_assign_s: '330', // 330.7 s, truncated
  first_response_s: '730', // 730.9 s
  resolution_s: '196200', // 2 days 6:30:00.999 = 172800 + 23400.999
  reopen_count: '2', // closed 03-01, escalated open 03-02 (delivered late), closed, reopened 03-03
  escalated: true,
  csat_rating: 4.5, // cust1's latest 4 (not 2), boss 5
  csat_responses: '2',
  activity_count: '3', // m1, m2, m3, however many states repeated them
  assignee_id: 'AG2',
  assignee_name: 'Bo',
  last_event_at: '2025-03-03 15:30:00.999',
});

const acme102 = metrics({
  request_id: '102',
  team_id: 'T1',
  team_name: 'Support (old)',
  customer_name: 'Acme Corp',
  status: 'WAITING',
  created_at: '2025-03-01 11:00:00',
  activity_count: '3', // two by the requestor, one with no user: no first response
  last_event_at: '2025-03-02 10:00:00',
});

const acme103 = metrics({
  request_id: '103',
  team_id: 'T2',
  team_name: 'Billing',
  customer_name: 'Beta LLC',
  status: 'IN_PROGRESS', // the webhook state (03-02) beats the snapshot received after it
  created_at: '2025-03-01 10:00:00',
  first_assigned_at: '2025-03-01 12:00:00', // the backfilled snapshot's time
  first_response_at: '2025-03-01 10:30:15.5',
  time_to_assign_s: '7200',
  first_response_s: '1815', // 1815.5 s
  reopen_count: '1', // the snapshot (closed), then the webhook state (open)
  activity_count: '2',
  assignee_id: 'AG1',
  assignee_name: 'Ana',
  last_event_at: '2025-03-02 09:00:00',
});

const acme104 = metrics({
  request_id: '104',
  team_id: 'T2',
  team_name: 'Billing',
  customer_name: 'Beta LLC',
  status: 'CLOSED',
  created_at: '2025-03-02 23:59:59.6',
  first_assigned_at: '2025-03-03 00:00:01',
  first_response_at: '2025-03-03 00:00:00.1',
  closed_at: '2025-03-03 00:10:00',
  time_to_assign_s: '1', // 1.4 s
  first_response_s: '0', // 0.5 s
  resolution_s: '600', // 600.4 s
  escalated: true, // action 'Escalate'
  csat_rating: 3, // the unreadable entry is no rating
  csat_responses: '1',
  activity_count: '2',
  assignee_id: 'AG2',
  assignee_name: 'Bo B.',
  last_event_at: '2025-03-03 00:10:00',
});

/** Requests 201-211 (test/fixtures/metrics.ts): created a minute apart from 08:01 on 03-04. */
function percentileMetrics(k: number) {
  const created = Date.parse('2025-03-04T08:00:00.000Z') + k * 60_000;
  const base = { request_id: String(200 + k), team_id: 'T3', team_name: 'Sales', customer_name: 'Gamma' };
  if (k === 11)
    return metrics({
      ...base,
      status: 'NEW',
      created_at: ts(created),
      activity_count: '1',
      last_event_at: ts(created),
    });
  const response = percentileResponses[k - 1]!;
  const closing = percentileResolution(response);
  const rating = { 1: 5, 2: 2 }[k];
  return metrics({
    ...base,
    status: 'CLOSED',
    created_at: ts(created),
    first_assigned_at: ts(created + response * 1000),
    first_response_at: ts(created + response * 1000),
    closed_at: ts(created + closing * 1000),
    time_to_assign_s: String(response),
    first_response_s: String(response),
    resolution_s: String(closing),
    csat_rating: rating ?? null,
    csat_responses: rating ? '1' : '0',
    activity_count: '2',
    assignee_id: 'AG3',
    assignee_name: 'Dee',
    last_event_at: ts(created + closing * 1000),
  });
}

const globex101 = metrics({
  workspace: 'globex',
  request_id: '101',
  team_id: 'T1',
  team_name: 'Globex Support',
  customer_name: 'Globex',
  status: 'CLOSED',
  created_at: '2025-03-01 09:00:00',
  first_assigned_at: '2025-03-01 09:02:00',
  first_response_at: '2025-03-01 09:01:00',
  closed_at: '2025-03-01 09:30:00',
  time_to_assign_s: '120',
  first_response_s: '60',
  resolution_s: '1800',
  csat_rating: 1,
  csat_responses: '1',
  activity_count: '2',
  assignee_id: 'AG9',
  assignee_name: 'Cy',
  last_event_at: '2025-03-01 09:30:00',
});

describe('metric views over requests delivered out of order, repeated, backfilled, in two workspaces', () => {
  let lake: ViewLake;
  beforeAll(async () => {
    lake = await lakeWithRows(metricLakeRows());
  });
  afterAll(() => lake.close());

  it('request_metrics: one row per request and workspace, every column as computed by hand', async () => {
    const rows = await lake.query('SELECT * FROM request_metrics ORDER BY workspace, request_id');
    const percentiles = Array.from({ length: 11 }, (_, i) => percentileMetrics(i + 1));
    expect(rows).toEqual([acme101, acme102, acme103, acme104, ...percentiles, globex101]);
  });

  it('team_daily: a row per team and day something was created or closed', async () => {
    const rows = await lake.query('SELECT * FROM team_daily ORDER BY workspace, team_id, day');
    const t1 = { team_id: 'T1', team_name: 'Support' }; // 101's name: the team's latest request
    const t2 = { team_id: 'T2', team_name: 'Billing' };
    expect(rows).toEqual([
      // 101 and 102 created; only 101 answered (730 s).
      daily({
        ...t1,
        day: '2025-03-01',
        created: '2',
        open_at_end_of_day: '2',
        first_response_p50_s: '730',
        first_response_p90_s: '730',
      }),
      // 101 closed for good; its closings on 03-01 and 03-02 were undone by reopens.
      daily({
        ...t1,
        day: '2025-03-03',
        closed: '1',
        open_at_end_of_day: '1',
        resolution_p50_s: '196200',
        csat_mean: 4.5,
        csat_count: '1',
      }),
      daily({
        ...t2,
        day: '2025-03-01',
        created: '1',
        open_at_end_of_day: '1',
        first_response_p50_s: '1815',
        first_response_p90_s: '1815',
      }),
      daily({
        ...t2,
        day: '2025-03-02',
        created: '1',
        open_at_end_of_day: '2',
        first_response_p50_s: '0',
        first_response_p90_s: '0',
      }),
      daily({
        ...t2,
        day: '2025-03-03',
        closed: '1',
        open_at_end_of_day: '1',
        resolution_p50_s: '600',
        csat_mean: 3,
        csat_count: '1',
      }),
      // Ten answered in 10..100 s: nearest rank 5 of 10 is 50, rank 9 is 90; resolutions 200..1100:
      // rank 5 is 600. 211 is still open. Rated: 5 and 2.
      daily({
        team_id: 'T3',
        team_name: 'Sales',
        day: '2025-03-04',
        created: '11',
        closed: '10',
        open_at_end_of_day: '1',
        first_response_p50_s: '50',
        first_response_p90_s: '90',
        resolution_p50_s: '600',
        csat_mean: 3.5,
        csat_count: '2',
      }),
      daily({
        workspace: 'globex',
        team_id: 'T1',
        team_name: 'Globex Support',
        day: '2025-03-01',
        created: '1',
        closed: '1',
        open_at_end_of_day: '0',
        first_response_p50_s: '60',
        first_response_p90_s: '60',
        resolution_p50_s: '1800',
        csat_mean: 1,
        csat_count: '1',
      }),
    ]);
  });

  it('assignee_daily: a row per current assignee (or none) and day something was created or closed', async () => {
    const rows = await lake.query('SELECT * FROM assignee_daily ORDER BY workspace, assignee_id NULLS FIRST, day');
    const none = { assignee_id: null, assignee_name: null };
    const bo = { assignee_id: 'AG2', assignee_name: 'Bo' }; // 101's name for AG2 is the latest
    expect(rows).toEqual([
      daily({ ...none, day: '2025-03-01', created: '1', open_at_end_of_day: '1' }), // 102
      daily({ ...none, day: '2025-03-04', created: '1', open_at_end_of_day: '2' }), // 211
      daily({
        assignee_id: 'AG1',
        assignee_name: 'Ana',
        day: '2025-03-01',
        created: '1',
        open_at_end_of_day: '1',
        first_response_p50_s: '1815',
        first_response_p90_s: '1815',
      }),
      daily({
        ...bo,
        day: '2025-03-01',
        created: '1',
        open_at_end_of_day: '1',
        first_response_p50_s: '730',
        first_response_p90_s: '730',
      }),
      daily({
        ...bo,
        day: '2025-03-02',
        created: '1',
        open_at_end_of_day: '2',
        first_response_p50_s: '0',
        first_response_p90_s: '0',
      }),
      // 101 and 104 closed: resolutions 600 and 196200, nearest rank 1 of 2 is 600; CSAT 4.5 and 3.
      daily({
        ...bo,
        day: '2025-03-03',
        closed: '2',
        open_at_end_of_day: '0',
        resolution_p50_s: '600',
        csat_mean: 3.75,
        csat_count: '2',
      }),
      daily({
        assignee_id: 'AG3',
        assignee_name: 'Dee',
        day: '2025-03-04',
        created: '10',
        closed: '10',
        open_at_end_of_day: '0',
        first_response_p50_s: '50',
        first_response_p90_s: '90',
        resolution_p50_s: '600',
        csat_mean: 3.5,
        csat_count: '2',
      }),
      daily({
        workspace: 'globex',
        assignee_id: 'AG9',
        assignee_name: 'Cy',
        day: '2025-03-01',
        created: '1',
        closed: '1',
        open_at_end_of_day: '0',
        first_response_p50_s: '60',
        first_response_p90_s: '60',
        resolution_p50_s: '1800',
        csat_mean: 1,
        csat_count: '1',
      }),
    ]);
  });

  it('the views’ columns are the contract’s, in its order, then the additions', async () => {
    const columns = async (view: string) =>
      (await lake.query(`DESCRIBE ${view}`)).map((r) => `${r.column_name as string} ${r.column_type as string}`);
    expect(await columns('request_metrics')).toEqual(expectedColumns.request_metrics);
    expect(await columns('team_daily')).toEqual(expectedColumns.team_daily);
    expect(await columns('assignee_daily')).toEqual(expectedColumns.assignee_daily);
  });
});

const dailyColumns = [
  'day DATE',
  'created BIGINT',
  'closed BIGINT',
  'open_at_end_of_day BIGINT',
  'first_response_p50_s BIGINT',
  'first_response_p90_s BIGINT',
  'resolution_p50_s BIGINT',
  'csat_mean DOUBLE',
  'csat_count BIGINT',
];

const expectedColumns = {
  request_metrics: [
    'workspace VARCHAR',
    'request_id VARCHAR',
    'team_id VARCHAR',
    'team_name VARCHAR',
    'customer_name VARCHAR',
    'status VARCHAR',
    'created_at TIMESTAMP',
    'first_assigned_at TIMESTAMP',
    'first_response_at TIMESTAMP',
    'closed_at TIMESTAMP',
    'time_to_assign_s BIGINT',
    'first_response_s BIGINT',
    'resolution_s BIGINT',
    'reopen_count BIGINT',
    'escalated BOOLEAN',
    'csat_rating DOUBLE',
    'csat_responses BIGINT',
    'activity_count BIGINT',
    'assignee_id VARCHAR',
    'assignee_name VARCHAR',
    'last_event_at TIMESTAMP',
  ],
  team_daily: ['workspace VARCHAR', 'team_id VARCHAR', 'team_name VARCHAR', ...dailyColumns],
  assignee_daily: ['workspace VARCHAR', 'assignee_id VARCHAR', 'assignee_name VARCHAR', ...dailyColumns],
};
