// ticket_history and ticket_latest on a lake holding a ticket's life (test/fixtures/platform-events.ts):
// the SQL DuckDB runs is the SQL BigQuery runs, so these answers are both engines' answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Row } from '../../schemas/flattener.js';
import { platformMessage, ticketLife } from '../../test/fixtures/platform-events.js';
import { flattened } from '../../test/support/flatten.js';
import { lakeWithRows, type ViewLake } from '../../test/support/views.js';
import { ticketEventsFlattener } from './flatten.js';
import { ticketEvents } from './table.js';

const rowsOf = (events: ReturnType<typeof ticketLife>): Row[] =>
  events.flatMap(
    ({ body, workspace, receivedAt }, offset) =>
      flattened(ticketEventsFlattener(platformMessage(body, { offset, workspace, receivedAt }))).rows,
  );

const time = (minute: number) => `2025-03-01 10:${String(minute).padStart(2, '0')}:00`;

describe('ticket views over a ticket’s life', () => {
  let lake: ViewLake;
  const latest = async (workspace: string, ticketId: string) => {
    const rows = await lake.query(
      `SELECT * FROM ticket_latest WHERE workspace = '${workspace}' AND ticket_id = '${ticketId}'`,
    );
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };

  beforeAll(async () => {
    const rows = rowsOf(ticketLife());
    // A batch written twice (a consumer that crashed before committing) repeats rows whole.
    lake = await lakeWithRows([{ table: ticketEvents, rows: [...rows, ...rows.slice(0, 3)] }]);
  });
  afterAll(() => lake.close());

  it('ticket_history holds each event once per workspace, however often it was delivered or written', async () => {
    const history = await lake.query('SELECT workspace, event_id FROM ticket_history ORDER BY workspace, event_id');
    const expected = ['e1', 'e10', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9'].map((id) => ({
      workspace: 'acme',
      event_id: id,
    }));
    expect(history).toEqual([...expected, { workspace: 'globex', event_id: 'e1' }]);
    const [{ n }] = (await lake.query('SELECT COUNT(*) AS n FROM ticket_events')) as [{ n: string }];
    expect(Number(n)).toBe(15);
  });

  it('ticket_history keeps the first delivery of a repeated event', async () => {
    const [row] = await lake.query(
      `SELECT received_at FROM ticket_history WHERE workspace = 'acme' AND event_id = 'e4'`,
    );
    expect(row!.received_at).toBe('2025-03-01 11:15:00');
  });

  it('ticket_latest has one row per ticket and workspace, and none for events about no ticket', async () => {
    const rows = await lake.query('SELECT workspace, ticket_id FROM ticket_latest ORDER BY workspace, ticket_id');
    expect(rows).toEqual([
      { workspace: 'acme', ticket_id: 'T1' },
      { workspace: 'acme', ticket_id: 'T2' },
      { workspace: 'globex', ticket_id: 'T1' },
    ]);
  });

  it('keeps what partial events did not repeat, takes what they changed, and ignores a late older status', async () => {
    expect(await latest('acme', 'T1')).toMatchObject({
      event_id: 'e6',
      event_type: 'ticket:archived',
      event_time: time(30),
      ticket_number: '101',
      title: 'Cannot log in',
      description: 'Login fails on the mobile app',
      status: 'In progress',
      status_id: 's-progress',
      priority: 'Low',
      priority_id: 'p-low',
      team_id: 'team-1',
      team_name: 'Support',
      customer_email: 'ana.lima@example.com',
      created_at: time(0),
      first_event_time: time(0),
      event_count: '7',
    });
  });

  it('takes an unassignment as one: the assignee is cleared, not carried over', async () => {
    expect(await latest('acme', 'T1')).toMatchObject({
      is_assigned: false,
      assignee_id: null,
      assignee_email: null,
      assignee_name: null,
    });
  });

  it('flags archived and deleted tickets, with when, instead of dropping them', async () => {
    expect(await latest('acme', 'T1')).toMatchObject({
      is_archived: true,
      archived_at: time(30),
      is_deleted: false,
      deleted_at: null,
    });
    expect(await latest('acme', 'T2')).toMatchObject({
      event_type: 'ticket:deleted',
      title: 'Refund',
      is_deleted: true,
      deleted_at: time(2),
      is_archived: false,
      archived_at: null,
    });
  });

  it('keeps workspaces apart', async () => {
    expect(await latest('globex', 'T1')).toMatchObject({ title: 'Other workspace', event_count: '1' });
  });
});

describe('ticket_latest before the unassignment', () => {
  it('names the assignee from the event that assigned it, through a partial event that did not', async () => {
    const lake = await lakeWithRows([{ table: ticketEvents, rows: rowsOf(ticketLife().slice(0, 3)) }]);
    try {
      const [row] = await lake.query(`SELECT * FROM ticket_latest WHERE workspace = 'acme' AND ticket_id = 'T1'`);
      expect(row).toMatchObject({
        event_id: 'e3',
        status: 'In progress',
        title: 'Cannot log in',
        priority: 'High',
        is_assigned: true,
        assignee_id: 'agent-1',
        assignee_email: 'bo.agent@example.com',
        assignee_name: 'Bo Agent',
        is_archived: false,
        archived_at: null,
      });
    } finally {
      lake.close();
    }
  });
});
