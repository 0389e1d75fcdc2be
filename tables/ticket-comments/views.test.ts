// comment_history and comments on a lake holding comments' lives (test/fixtures/platform-events.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commentLife, platformMessage } from '../../test/fixtures/platform-events.js';
import { flattened } from '../../test/support/flatten.js';
import { lakeWithRows, type ViewLake } from '../../test/support/views.js';
import { ticketCommentsFlattener } from './flatten.js';
import { ticketComments } from './table.js';

const time = (minute: number) => `2025-03-01 10:${String(minute).padStart(2, '0')}:00`;

describe('comment views', () => {
  let lake: ViewLake;
  const comment = async (id: string) => {
    const rows = await lake.query(`SELECT * FROM comments WHERE workspace = 'acme' AND comment_id = '${id}'`);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };

  beforeAll(async () => {
    const rows = commentLife().flatMap(
      ({ body, receivedAt }, offset) =>
        flattened(ticketCommentsFlattener(platformMessage(body, { offset, receivedAt }))).rows,
    );
    lake = await lakeWithRows([{ table: ticketComments, rows }]);
  });
  afterAll(() => lake.close());

  it('comment_history holds each comment event once, the deletion included', async () => {
    const rows = await lake.query('SELECT comment_id, event_id, event_type FROM comment_history ORDER BY event_id');
    expect(rows).toEqual([
      { comment_id: 'C1', event_id: 'c-e1', event_type: 'ticket:comment:created' },
      { comment_id: 'C1', event_id: 'c-e2', event_type: 'ticket:comment:updated' },
      { comment_id: 'C1', event_id: 'c-e3', event_type: 'ticket:comment:deleted' },
      { comment_id: 'C2', event_id: 'c-e4', event_type: 'ticket:comment:created' },
    ]);
  });

  it('comments keeps a deleted comment, flagged, with its last content and its author', async () => {
    expect(await comment('C1')).toMatchObject({
      ticket_id: 'T1',
      event_id: 'c-e3',
      event_type: 'ticket:comment:deleted',
      content_text: 'Please try again in an hour.',
      author_id: 'agent-1',
      author_name: 'Bo Agent',
      is_deleted: true,
      deleted_at: time(9),
      comment_created_at: time(6),
      comment_updated_at: time(8),
      first_event_time: time(6),
      edit_count: '1',
    });
  });

  it("comments gives a customer's comment its contact and its text from the HTML", async () => {
    expect(await comment('C2')).toMatchObject({
      author_id: null,
      author_type: 'CUSTOMER',
      customer_contact_id: 'cust-1',
      content_text: 'Still broken & slow',
      is_deleted: false,
      deleted_at: null,
      edit_count: '0',
    });
  });
});
