// The opt-in pseudonymisation (services/consumers/privacy.ts) over the platform tables: no name or
// e-mail address of a platform event is left readable, in the columns or in payload_json, and what
// is not personal stays as it was.
import { describe, expect, it } from 'vitest';
import { pseudonymizer } from '../../services/consumers/privacy.js';
import { deadLetterMessage } from '../../services/shared/dead-letter.js';
import type { SourceMessage } from '../../schemas/flattener.js';
import type { TableDefinition } from '../../schemas/table.js';
import { agent, comment, nested, platformBody, platformMessage, ticket } from '../../test/fixtures/platform-events.js';
import { flattened } from '../../test/support/flatten.js';
import { rejectedEvents } from '../rejected-events/table.js';
import { ticketComments } from '../ticket-comments/table.js';
import { ticketEvents } from '../ticket-events/table.js';

const p = pseudonymizer('a-test-key-of-at-least-32-characters!!');
const pseudonymised = (table: TableDefinition, message: SourceMessage) =>
  flattened(table.consumer.flatten(message)).rows.map((r) => p.row(table, r));
const asText = (rows: unknown) => JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v));

/** Every name and e-mail address the fixtures below carry. */
const personal = ['ana.lima@example.com', 'Ana Lima', 'Ana', 'Lima', 'bo.agent@example.com', 'Bo Agent', 'Cy Dee'];

const assigned = platformBody('ticket:assigned', {
  ticket: ticket({ assignedTo: agent.id, assignedAgent: agent }),
  previousTicket: ticket({ assignedAgent: 'Cy Dee' }),
});
const commented = platformBody('ticket:comment:created', {
  comment: comment({
    content: 'Bo Agent here: Ana Lima, write to bo.agent@example.com',
    contentHtml: '<p>Bo Agent here: Ana Lima, write to bo.agent@example.com</p>',
    customerContactEmail: 'ana.lima@example.com',
    customerContactFirstName: 'Ana',
    customerContactLastName: 'Lima',
    impersonatedUserName: 'Cy Dee',
  }),
});

describe('pseudonymisation of platform events', () => {
  it.each([
    ['ticket_events, top-level event', ticketEvents, assigned],
    ['ticket_events, event under message', ticketEvents, nested(assigned)],
    ['ticket_comments', ticketComments, commented],
  ])('leaves no name or e-mail address in %s', (_name, table, body) => {
    const text = asText(pseudonymised(table, platformMessage(body)));
    for (const value of personal) expect(text, value).not.toContain(value);
  });

  it('keeps ids, types and texts readable, and a person the same pseudonym in columns and payload', () => {
    const [row] = pseudonymised(ticketEvents, platformMessage(assigned));
    expect(row).toMatchObject({
      ticket_id: 'T1',
      actor_id: 'agent-1',
      actor_type: 'AGENT',
      assignee_id: 'agent-1',
      title: 'Cannot log in',
      actor_email: p.value('bo.agent@example.com'),
      assignee_name: p.value('Bo Agent'),
    });
    const payload = JSON.parse(row!.payload_json as string);
    expect(payload.actor).toEqual({ id: 'agent-1', type: 'AGENT', email: p.value('bo.agent@example.com') });
    expect(payload.payload.ticket.assignedAgent).toEqual({
      id: 'agent-1',
      email: p.value('bo.agent@example.com'),
      name: p.value('Bo Agent'),
    });
    expect(payload.payload.ticket.customerContactFirstName).toBe(p.value('Ana'));
    expect(payload.payload.previousTicket.assignedAgent).toBe(p.value('Cy Dee'));
    // Not people: a team's name and the ticket's assignedTo id stay.
    expect(payload.payload.ticket.teamName).toBe('Support');
    expect(payload.payload.ticket.assignedTo).toBe('agent-1');
  });

  it("hides the author's name where the comment's text repeats it, and keeps the other words", () => {
    const [row] = pseudonymised(ticketComments, platformMessage(commented));
    expect(row!.content_text).toBe(
      `${p.value('Bo Agent')} here: ${p.value('Ana Lima')}, write to ${p.value('bo.agent@example.com')}`,
    );
  });

  const rejectedRow = (rawBody: string) => {
    const record = deadLetterMessage({ topic: 'dlq', source: 'ingress', reason: 'r', message: 'm', rawBody });
    return pseudonymised(rejectedEvents, { topic: 'dlq', partition: 0, offset: '0', value: record.value })[0]!;
  };
  const rejectedBody = JSON.stringify({ ...commented, eventId: 12345 });

  it('leaves no name or e-mail address in a rejected platform body', () => {
    const text = asText(rejectedRow(rejectedBody));
    for (const value of personal) expect(text, value).not.toContain(value);
  });

  it('pseudonymises the named members and e-mail addresses of a rejected body cut short', () => {
    // Not JSON: members are found by name, so a full name said only in two parts cannot be
    // recognised in free text; everything a member names is.
    const cut = rejectedBody.slice(0, rejectedBody.lastIndexOf('"metadata"'));
    const raw = rejectedRow(cut).raw_body as string;
    for (const value of ['ana.lima@example.com', 'bo.agent@example.com', 'Bo Agent', 'Cy Dee', '"Ana"', '"Lima"']) {
      expect(raw, value).not.toContain(value);
    }
    expect(raw).toContain(`"customerContactFirstName":"${p.value('Ana')}"`);
  });
});
