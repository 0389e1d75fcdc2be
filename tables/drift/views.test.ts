// payload_drift's known answers, every column of every row, on test/fixtures/drift.ts's bodies run
// through the request_events and ticket_events flatteners into lake files. The SQL DuckDB runs here
// is the SQL BigQuery runs; test/integration/drift-view.integration.test.ts holds BigQuery to the
// same answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driftLakeRows, tieEventIds } from '../../test/fixtures/drift.js';
import { lakeWithRows, type ViewLake } from '../../test/support/views.js';

const driftOrder = 'workspace, source, path, kind';

describe('payload_drift in DuckDB', () => {
  let lake: ViewLake;
  const tables = driftLakeRows();
  beforeAll(async () => {
    lake = await lakeWithRows(tables);
  });
  afterAll(() => lake?.close());

  it('sums up each path and kind per workspace and source: first and last seen, distinct events, the first example', async () => {
    const [tieA, tieB] = tieEventIds(tables[0]!.rows);
    const row = (
      workspace: string,
      source: string,
      path: string,
      kind: string,
      first_seen: string,
      last_seen: string,
      events: string,
      example: string | null,
    ) => ({ workspace, source, path, kind, first_seen, last_seen, events, example });
    expect(await lake.query(`SELECT * FROM payload_drift ORDER BY ${driftOrder}`)).toEqual([
      // orgId missing from p2 only; traceId in p2 and p3 (p3 delivered twice, counted once).
      row('acme', 'platform', 'orgId', 'missing', '2025-03-01 10:05:00', '2025-03-01 10:05:00', '1', null),
      row(
        'acme',
        'platform',
        'payload.ticket.statusName',
        'type',
        '2025-03-01 10:05:00',
        '2025-03-01 10:05:00',
        '1',
        '7',
      ),
      row('acme', 'platform', 'traceId', 'unknown', '2025-03-01 10:05:00', '2025-03-01 10:10:00', '2', '"t-2"'),
      // A string in the 09:00 event, a number at 09:10 (delivered twice, counted once) and 09:20.
      row(
        'acme',
        'request',
        'request.activity[].ts',
        'type',
        '2025-03-01 09:10:00',
        '2025-03-01 09:20:00',
        '2',
        '1740820200',
      ),
      row(
        'acme',
        'request',
        'request.brandNew',
        'unknown',
        '2025-03-01 09:00:00',
        '2025-03-01 09:10:00',
        '2',
        '"first"',
      ),
      row('acme', 'request', 'request.team_id', 'missing', '2025-03-01 09:20:00', '2025-03-01 09:20:00', '1', null),
      // Two events at 08:00: the smaller event_id gives the example.
      row(
        'acme',
        'request',
        'request.tie',
        'unknown',
        '2025-03-01 08:00:00',
        '2025-03-01 08:00:00',
        '2',
        tieA < tieB ? '"a"' : '"b"',
      ),
      row('globex', 'request', 'request.a\\.b', 'unknown', '2025-03-01 09:30:00', '2025-03-01 09:30:00', '1', 'true'),
    ]);
  });

  it('counts distinct events per finding and UTC day in payload_drift_daily, and lists each event’s findings', async () => {
    expect(
      await lake.query(
        `SELECT workspace, source, path, kind, strftime(day, '%Y-%m-%d') AS day, events FROM payload_drift_daily
         WHERE path IN ('request.brandNew', 'traceId') ORDER BY ${driftOrder}`,
      ),
    ).toEqual([
      { workspace: 'acme', source: 'platform', path: 'traceId', kind: 'unknown', day: '2025-03-01', events: '2' },
      {
        workspace: 'acme',
        source: 'request',
        path: 'request.brandNew',
        kind: 'unknown',
        day: '2025-03-01',
        events: '2',
      },
    ]);
    // brandNew 2, activity[].ts 2, team_id 1, tie 2, a.b 1 (requests); orgId 1, statusName 1, traceId 2.
    expect(await lake.query('SELECT count(*) AS n FROM payload_drift_findings')).toEqual([{ n: '12' }]);
  });

  it('reads nothing from rows written before the column existed (NULL), nor from events without findings', async () => {
    const before = tables.map(({ table, rows }) => ({ table, rows: rows.map((r) => ({ ...r, payload_drift: null })) }));
    const old = await lakeWithRows(before);
    try {
      expect(await old.query('SELECT count(*) AS n FROM payload_drift')).toEqual([{ n: '0' }]);
    } finally {
      old.close();
    }
  });
});
