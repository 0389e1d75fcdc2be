import { describe, expect, it } from 'vitest';
import { columnsOf } from '../../test/fixtures/envelopes.js';
import { comment, nested, platformBody, platformMessage, ticket } from '../../test/fixtures/platform-events.js';
import { flattened } from '../../test/support/flatten.js';
import { ticketCommentsFlattener } from './flatten.js';
import { ticketComments } from './table.js';

const result = (body: unknown) => ticketCommentsFlattener(platformMessage(body));
const rowsOf = (body: unknown) => flattened(result(body)).rows;
const only = (body: unknown) => {
  const rows = rowsOf(body);
  expect(rows).toHaveLength(1);
  return rows[0]!;
};
const micros = (iso: string) => BigInt(Date.parse(iso)) * 1000n;

const created = platformBody(
  'ticket:comment:created',
  { comment: comment() },
  { timestamp: '2025-03-01T10:06:00.000Z' },
);

describe('ticket_comments', () => {
  it('flattens a ticket:comment:created into one row of the declared columns', () => {
    const rows = rowsOf(created);
    expect(rows.map((r) => Object.keys(r).sort())).toEqual([columnsOf(ticketComments)]);
    expect(rows[0]).toEqual({
      workspace: 'acme',
      event_id: 'evt-1',
      event_type: 'ticket:comment:created',
      event_time: micros('2025-03-01T10:06:00.000Z'),
      received_at: micros('2025-03-01T12:00:00.000Z'),
      comment_id: 'C1',
      ticket_id: 'T1',
      ticket_id_source: 'payload.comment.entityId',
      actor_id: 'agent-1',
      actor_email: 'bo.agent@example.com',
      parent_comment_id: null,
      author_id: 'agent-1',
      author_name: 'Bo Agent',
      author_email: null,
      author_type: 'AGENT',
      customer_contact_id: null,
      customer_contact_email: null,
      comment_type: 'comment',
      visibility: 'public',
      content_text: 'Please try again now.',
      content_html: '<p>Please try <b>again</b> now.</p>',
      content_markdown: 'Please try **again** now.',
      comment_created_at: micros('2025-03-01T10:06:00.000Z'),
      comment_updated_at: micros('2025-03-01T10:06:00.000Z'),
      is_deleted: false,
      deleted_at: null,
      payload_json: JSON.stringify(created),
      truncated_columns: [],
    });
  });

  it('reads the same event under `message` alike', () => {
    const row = only(nested(created));
    expect({ ...row, payload_json: '' }).toEqual({ ...only(created), payload_json: '' });
    expect(JSON.parse(row.payload_json as string)).toEqual(nested(created));
  });

  it("accepts the ticket page's name for a new comment, ticket:comment:added", () => {
    expect(only(platformBody('ticket:comment:added', { comment: comment() })).comment_id).toBe('C1');
  });

  it('keeps a deletion as a row of its own, even when it names only the comment', () => {
    const row = only(
      platformBody('ticket:comment:deleted', { comment: { id: 'C1' } }, { timestamp: '2025-03-01T10:09:00Z' }),
    );
    expect(row).toMatchObject({
      event_type: 'ticket:comment:deleted',
      comment_id: 'C1',
      ticket_id: null,
      content_text: null,
      is_deleted: true,
      deleted_at: micros('2025-03-01T10:09:00.000Z'),
    });
  });

  it("takes a deletion's time from deletedAt when the comment carries one", () => {
    const row = only(
      platformBody('ticket:comment:deleted', { comment: comment({ deletedAt: '2025-03-01T10:08:30.000Z' }) }),
    );
    expect(row).toMatchObject({
      is_deleted: true,
      deleted_at: micros('2025-03-01T10:08:30.000Z'),
      content_text: 'Please try again now.',
    });
  });

  it('reads an update from the updated comment, whichever name carries it', () => {
    const edited = comment({ content: 'Edited', contentHtml: '<p>Edited</p>' });
    expect(only(platformBody('ticket:comment:updated', { comment: edited, previousComment: comment() }))).toMatchObject(
      {
        content_text: 'Edited',
        is_deleted: false,
      },
    );
    expect(
      only(platformBody('ticket:comment:updated', { updatedComment: edited, previousComment: comment() })).content_text,
    ).toBe('Edited');
  });

  it('derives the plain text from the HTML when Thena sends no plain text', () => {
    const row = only(
      platformBody('ticket:comment:created', {
        comment: comment({ content: undefined, contentHtml: '<p>A &amp; B<br>C</p>' }),
      }),
    );
    expect(row).toMatchObject({ content_text: 'A & B\nC', content_html: '<p>A &amp; B<br>C</p>' });
  });

  it('derives the plain text of 4 MiB of `<` with no `>` in linear time (the 5 s test timeout is the guard)', () => {
    // Hours through the tag pattern htmlToText had, which scanned to the end from each `<`.
    const contentHtml = '<'.repeat(4 * 1024 * 1024);
    const row = only(platformBody('ticket:comment:created', { comment: comment({ content: undefined, contentHtml }) }));
    expect(row.content_text === contentHtml).toBe(true);
  });

  it('reads the author as an object, and a customer contact apart from the author', () => {
    const row = only(
      platformBody('ticket:comment:created', {
        comment: comment({
          author: { id: 'u-9', name: 'Cy Dee', email: 'cy@example.com', type: 'ORG_ADMIN' },
          authorId: undefined,
          customerContactId: 'cust-1',
          customerContactEmail: 'ana.lima@example.com',
        }),
      }),
    );
    expect(row).toMatchObject({
      author_id: 'u-9',
      author_name: 'Cy Dee',
      author_email: 'cy@example.com',
      author_type: 'ORG_ADMIN',
      customer_contact_id: 'cust-1',
      customer_contact_email: 'ana.lima@example.com',
    });
  });

  it.each([
    ['payload.ticket.id', { ticket: ticket({ id: 'T5' }), comment: comment() }, 'T5'],
    ['payload.comment.entityId', { comment: comment({ entityType: 'TICKET', entityId: 'T6' }) }, 'T6'],
    ['payload.comment.entityId', { comment: comment({ entityType: undefined, entityId: 'T7' }) }, 'T7'],
  ])('reads the ticket from %s, and says so', (source, payload, ticketId) => {
    expect(only(platformBody('ticket:comment:created', payload))).toMatchObject({
      ticket_id: ticketId,
      ticket_id_source: source,
    });
  });

  it('does not read a ticketId as the ticket (Thena documents it as the ticket number), and counts the loss', () => {
    const body = platformBody('ticket:comment:created', {
      ticketId: '101',
      comment: comment({ entityType: undefined, entityId: undefined, ticketId: '101' }),
    });
    expect(flattened(result(body)).rows[0]).toMatchObject({
      comment_id: 'C1',
      ticket_id: null,
      ticket_id_source: null,
    });
    expect(flattened(result(body)).counts).toEqual({ ticket_id_missing: 1 });
  });

  it('keeps a comment event that names no comment, and counts it', () => {
    const r = result(platformBody('ticket:comment:created', { text: 'hi' }));
    expect(flattened(r).rows[0]).toMatchObject({ comment_id: null, is_deleted: false });
    expect(flattened(r).counts).toEqual({ comment_id_missing: 1, ticket_id_missing: 1 });
  });

  it.each([
    'ticket:created',
    'ticket:updated',
    'ticket:comment:reaction:added',
    'account-task:comment:created',
    'ticket:comment:teleported',
  ])('yields no rows for %s', (eventType) => {
    const r = result(platformBody(eventType, { ticket: ticket(), comment: comment() }));
    expect(flattened(r)).toEqual({ kind: 'rows', rows: [] });
  });

  it('dead-letters a message that is not a platform envelope', () => {
    const r = ticketCommentsFlattener({ topic: 't', partition: 0, offset: '0', value: '{"schema":"x"}' });
    expect(r).toMatchObject({ kind: 'dead-letter', reason: 'invalid_envelope' });
  });
});
