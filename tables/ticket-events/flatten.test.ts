import { describe, expect, it } from 'vitest';
import { columnsOf } from '../../test/fixtures/envelopes.js';
import { agent, nested, platformBody, platformMessage, ticket } from '../../test/fixtures/platform-events.js';
import { flattened } from '../../test/support/flatten.js';
import { ticketEventsFlattener } from './flatten.js';
import { ticketEvents } from './table.js';

const rowsOf = (body: unknown, opts?: Parameters<typeof platformMessage>[1]) =>
  flattened(ticketEventsFlattener(platformMessage(body, opts))).rows;
const only = (body: unknown, opts?: Parameters<typeof platformMessage>[1]) => {
  const rows = rowsOf(body, opts);
  expect(rows).toHaveLength(1);
  return rows[0]!;
};
const micros = (iso: string) => BigInt(Date.parse(iso)) * 1000n;

const created = platformBody('ticket:created', { ticket: ticket() });

describe('ticket_events', () => {
  it('flattens a documented ticket:created into one row of the declared columns', () => {
    const rows = rowsOf(created);
    expect(rows.map((r) => Object.keys(r).sort())).toEqual([columnsOf(ticketEvents)]);
    expect(rows[0]).toEqual({
      workspace: 'acme',
      event_id: 'evt-1',
      event_type: 'ticket:created',
      event_time: micros('2025-03-01T10:00:00.000Z'),
      received_at: micros('2025-03-01T12:00:00.000Z'),
      org_id: 'org-1',
      ticket_id: 'T1',
      ticket_id_source: 'payload.ticket.id',
      actor_id: 'agent-1',
      actor_type: 'AGENT',
      actor_email: 'bo.agent@example.com',
      timestamp_raw: '2025-03-01T10:00:00.000Z',
      ticket_number: '101',
      title: 'Cannot log in',
      description: 'Login fails on the mobile app',
      status: 'Open',
      status_id: 's-open',
      priority: 'High',
      priority_id: 'p-high',
      sentiment: 'Neutral',
      ticket_type: null,
      source: 'EMAIL',
      team_id: 'team-1',
      team_name: 'Support',
      sub_team_id: null,
      sub_team_name: null,
      assignee_id: null,
      assignee_email: null,
      assignee_name: null,
      is_assigned: false,
      customer_id: 'cust-1',
      customer_email: 'ana.lima@example.com',
      is_escalated: false,
      is_archived: false,
      tags: ['mobile', 'login'],
      ai_title: 'Mobile login failure',
      ai_summary: 'Ana Lima cannot log in on iOS.',
      created_at: micros('2025-03-01T10:00:00.000Z'),
      updated_at: null,
      payload_json: JSON.stringify(created),
      payload_drift: [],
      truncated_columns: [],
    });
  });

  it('reads the same event under `message` alike, keeping the wrapper in payload_json', () => {
    const row = only(nested(created));
    expect({ ...row, payload_json: '' }).toEqual({ ...only(created), payload_json: '' });
    expect(JSON.parse(row.payload_json as string)).toEqual(nested(created));
  });

  it('fills workspace from the envelope', () => {
    expect(only(created, { workspace: 'globex' }).workspace).toBe('globex');
  });

  it('reads the assignee as an object, as ids and e-mail, or as a name', () => {
    const event = (t: Record<string, unknown>) => only(platformBody('ticket:assigned', { ticket: t }));
    expect(event(ticket({ assignedTo: agent.id, assignedAgent: agent }))).toMatchObject({
      assignee_id: 'agent-1',
      assignee_email: 'bo.agent@example.com',
      assignee_name: 'Bo Agent',
      is_assigned: true,
    });
    expect(
      event({ id: 'T1', assignedAgentId: 'agent-2', assignedAgentEmail: 'cy@example.com', assignedAgent: 'Cy' }),
    ).toMatchObject({
      assignee_id: 'agent-2',
      assignee_email: 'cy@example.com',
      assignee_name: 'Cy',
      is_assigned: true,
    });
    expect(event({ id: 'T1', assignedTo: 'agent-3' })).toMatchObject({ assignee_id: 'agent-3', is_assigned: true });
    expect(event({ id: 'T1', assignedAgent: null })).toMatchObject({ assignee_id: null, is_assigned: false });
    expect(event({ id: 'T1' })).toMatchObject({ assignee_id: null, is_assigned: null });
  });

  it('reads status and priority as names and ids, or as objects {uid, name}', () => {
    const row = only(
      platformBody('ticket:status:changed', {
        ticket: { id: 'T1', status: { uid: 's-2', name: 'Closed' }, priority: 'Low', type: { name: 'Bug' } },
      }),
    );
    expect(row).toMatchObject({
      status: 'Closed',
      status_id: 's-2',
      priority: 'Low',
      priority_id: null,
      ticket_type: 'Bug',
    });
  });

  it('keeps a partial event: what it carries, NULL for the rest', () => {
    const row = only(platformBody('ticket:status:changed', { ticket: { id: 'T1', statusName: 'Closed' } }));
    expect(row).toMatchObject({ ticket_id: 'T1', status: 'Closed', title: null, priority: null, tags: null });
    expect(row.is_assigned).toBeNull();
    expect(row.is_archived).toBeNull();
  });

  it('reads a ticket:deleted from the deleted ticket (previousTicket)', () => {
    const row = only(platformBody('ticket:deleted', { previousTicket: ticket({ title: 'Gone' }) }));
    expect(row).toMatchObject({ ticket_id: 'T1', ticket_id_source: 'payload.previousTicket.id', title: 'Gone' });
  });

  it('reads ticket:updated from the new ticket, not the previous one', () => {
    const row = only(
      platformBody('ticket:updated', { ticket: ticket({ title: 'New' }), previousTicket: ticket({ title: 'Old' }) }),
    );
    expect(row.title).toBe('New');
  });

  it.each([
    ['ticket:archived', { id: 'T1' }, true],
    ['ticket:archived', { id: 'T1', isArchived: false }, true],
    ['ticket:unarchived', { id: 'T1', isArchived: true }, false],
    ['ticket:updated', { id: 'T1', isArchived: true }, true],
    ['ticket:updated', { id: 'T1' }, null],
  ])('%s with %j: is_archived %s (the event type settles it)', (eventType, t, archived) => {
    expect(only(platformBody(eventType, { ticket: t })).is_archived).toBe(archived);
  });

  it('keeps an unknown event type: what can be read, and the whole body', () => {
    const body = platformBody('ticket:teleported', { ticket: { id: 'T1', title: 'Beam me up' }, where: 'Mars' });
    const row = only(body);
    expect(row).toMatchObject({ event_type: 'ticket:teleported', ticket_id: 'T1', title: 'Beam me up' });
    expect(JSON.parse(row.payload_json as string)).toEqual(body);
  });

  it('keeps events about no ticket, with ticket columns NULL; a ticket event without one is counted', () => {
    const account = ticketEventsFlattener(platformMessage(platformBody('account:updated', { account: { id: 'A1' } })));
    expect(flattened(account).rows[0]).toMatchObject({ event_type: 'account:updated', ticket_id: null, title: null });
    expect(flattened(account).counts).toBeUndefined();
    const lost = ticketEventsFlattener(platformMessage(platformBody('ticket:updated', { something: 1 })));
    expect(flattened(lost).rows).toHaveLength(1);
    expect(flattened(lost).counts).toEqual({ ticket_id_missing: 1 });
  });

  it("keys a comment event's row by the comment's ticket", () => {
    const row = only(platformBody('ticket:comment:created', { comment: { id: 'C1', entityId: 'T7' } }));
    expect(row).toMatchObject({ ticket_id: 'T7', ticket_id_source: 'payload.comment.entityId', title: null });
  });

  it.each([
    ['ISO 8601 with an offset', '2025-03-01T11:00:00.123456+01:00', micros('2025-03-01T10:00:00.000Z') + 123456n],
    ['Unix milliseconds (number)', 1740823200123, micros('2025-03-01T10:00:00.000Z') + 123000n],
    ['Unix seconds (number)', 1740823200, micros('2025-03-01T10:00:00.000Z')],
    ['Unix seconds with a fraction (text)', '1740823200.5', micros('2025-03-01T10:00:00.000Z') + 500000n],
    ['Unix milliseconds (text)', '1740823200123', micros('2025-03-01T10:00:00.000Z') + 123000n],
  ])('reads the timestamp as %s', (_name, timestamp, expected) => {
    const result = ticketEventsFlattener(platformMessage(platformBody('ticket:updated', {}, { timestamp })));
    expect(flattened(result).rows[0]).toMatchObject({ event_time: expected, timestamp_raw: String(timestamp) });
    expect(flattened(result).counts).toEqual({ ticket_id_missing: 1 });
  });

  it.each([
    ['an ISO time without a zone', '2025-03-01T10:00:00'],
    ['a word', 'yesterday'],
    ['a time past what the lake holds', '9'.repeat(16)],
  ])('falls back to the time received for %s, and counts it', (_name, timestamp) => {
    const result = ticketEventsFlattener(platformMessage(platformBody('x', {}, { timestamp })));
    expect(flattened(result).rows[0]).toMatchObject({
      event_time: micros('2025-03-01T12:00:00.000Z'),
      timestamp_raw: timestamp,
    });
    expect(flattened(result).counts).toEqual({ unreadable_timestamp: 1 });
  });

  it('uses the time received when there is no timestamp, without counting it', () => {
    const result = ticketEventsFlattener(platformMessage(platformBody('x', {}, { timestamp: undefined })));
    expect(flattened(result).rows[0]).toMatchObject({
      event_time: micros('2025-03-01T12:00:00.000Z'),
      timestamp_raw: null,
    });
    expect(flattened(result).counts).toBeUndefined();
  });

  it.each([
    ['not JSON', 'nope'],
    ['a request-event envelope', JSON.stringify({ schema: 'thena.request-event.v1', eventId: 'e', payload: {} })],
    [
      'an envelope without workspace',
      JSON.stringify({
        schema: 'thena.platform-event.v1',
        eventId: 'e',
        receivedAt: 'x',
        eventType: 't',
        entityId: 'e',
        payload: {},
      }),
    ],
    [
      'an envelope whose receivedAt is not a time',
      JSON.stringify({
        schema: 'thena.platform-event.v1',
        eventId: 'e',
        receivedAt: 'soon',
        eventType: 't',
        workspace: 'w',
        entityId: 'e',
        payload: {},
      }),
    ],
  ])('dead-letters %s', (_name, value) => {
    const result = ticketEventsFlattener({ topic: 't', partition: 0, offset: '0', value });
    expect(result).toMatchObject({ kind: 'dead-letter', reason: 'invalid_envelope' });
  });
});
