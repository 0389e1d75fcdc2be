import { describe, expect, it } from 'vitest';
import { envelopeMessage, receivedAt } from '../../../test/fixtures/envelopes.js';
import { seed, seedBody, webhook } from '../../../test/fixtures/webhooks.js';
import { requestEventsFlattener } from './request-events.js';
import { requestActivityFlattener } from './request-activity.js';
import { requestAssignmentsFlattener } from './request-assignments.js';
import { parseFeedbacks, requestCsatFlattener } from './request-csat.js';
import { rejectedEventsFlattener } from './rejected-events.js';
import { FlattenError } from './event.js';
import {
  tables,
  requestEvents,
  requestActivity,
  requestAssignments,
  requestCsat,
  rejectedEvents,
} from '../../../schemas/tables.js';

const seedMessage = envelopeMessage(seedBody);
const eventId = 'ddef0b578fc1791a7d0b59591a610dfb';
const updatedAt = 1692831081912000n; // 2023-08-23T22:51:21.912Z

function columnsOf(table: (typeof tables)[number]) {
  return table.columns.map((c) => c.name).sort();
}

describe('request_events', () => {
  it('flattens the seed sample into one row with every declared column', () => {
    const { rows } = requestEventsFlattener(seedMessage);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(Object.keys(row).sort()).toEqual(columnsOf(requestEvents));
    expect(row).toEqual({
      event_id: eventId,
      request_id: '42',
      event_time: updatedAt,
      action: 'UPDATE',
      received_at: BigInt(receivedAt.getTime()) * 1000n,
      created_at: 1692826261573000n,
      updated_at: updatedAt,
      closed_on: 1692827758034000n,
      status: 'ASSIGNED',
      team_id: 'TEAM123456',
      team_name: 'Team Lorem Ipsum',
      channel_id: 'CHAN12345',
      channel_name: 'thena-dev-lorem',
      customer_name: 'Lorem Customer Ipsum',
      requestor_id: 'REQ123456',
      assigned_to_id: 'DOLOR11121',
      assigned_by_id: 'IPSUM67890',
      closed_by_id: 'CLOSE98765',
      reply_count: 8,
      ai_title: 'Adipiscing Elit Ipsum',
      ai_summary: 'Dolor sit amet, consectetur adipiscing.',
      ai_sentiment: 'Neutral',
      ai_urgency: 'Medium',
      ai_tags: ['Lorem', 'Ipsum'],
      is_internal_helpdesk: false,
      is_private_channel: false,
      description_html: '<p>Lorem ipsum dolor sit amet.</p>',
      description_text: 'Lorem ipsum dolor sit amet.',
      request_ts: 1692826255621649n,
      field_problems_json: null,
      payload_json: JSON.stringify(seed.request),
    });
  });

  it('takes event_time from updatedAt, else createdAt, else the time received', () => {
    const time = (request: Record<string, unknown>) =>
      requestEventsFlattener(envelopeMessage(webhook(request))).rows[0]!.event_time;
    expect(time({})).toBe(updatedAt);
    expect(time({ updatedAt: undefined })).toBe(1692826261573000n);
    expect(time({ updatedAt: null, createdAt: 'garbage' })).toBe(BigInt(receivedAt.getTime()) * 1000n);
  });

  it('keys the event the same with requestId as a number or a string', () => {
    const a = requestEventsFlattener(envelopeMessage(webhook({ requestId: 42 }))).rows[0]!;
    const b = requestEventsFlattener(envelopeMessage(webhook({ requestId: '42' }))).rows[0]!;
    expect(a.request_id).toBe('42');
    expect(b.request_id).toBe('42');
  });

  it('gives NULL for absent, null or unconvertible fields, and keeps the payload whole', () => {
    const row = requestEventsFlattener(
      envelopeMessage(
        webhook({
          replyCount: '8',
          status: null,
          team_id: undefined,
          isPrivateChannel: 'yes',
          AI_generatedTags: undefined,
          assignedTo: 'someone',
          brandNew: 1,
        }),
      ),
    ).rows[0]!;
    expect(row).toMatchObject({
      reply_count: 8,
      status: null,
      team_id: null,
      is_private_channel: null,
      ai_tags: null,
      assigned_to_id: null,
    });
    expect(JSON.parse(row.payload_json as string).brandNew).toBe(1);
    expect(JSON.parse(row.field_problems_json as string).map((p: { path: string }) => p.path)).toContain(
      '/request/replyCount',
    );
    const lossy = requestEventsFlattener(envelopeMessage(webhook({ replyCount: 8.5 }))).rows[0]!;
    expect(lossy.reply_count).toBeNull();
  });

  it('handles an empty request object with only its id', () => {
    const row = requestEventsFlattener(envelopeMessage({ action: 'CREATE', request: { requestId: 7 } })).rows[0]!;
    expect(row).toMatchObject({
      request_id: '7',
      status: null,
      ai_tags: null,
      description_text: null,
      payload_json: '{"requestId":7}',
    });
  });

  it('sends a message that is not an envelope to the dead-letter path', () => {
    expect(() => requestEventsFlattener({ ...seedMessage, value: 'nope' })).toThrow(FlattenError);
    expect(() => requestEventsFlattener({ ...seedMessage, value: '{"schema":"other"}' })).toThrow(
      /not a thena.request-event.v1 envelope/,
    );
  });
});

describe('request_activity', () => {
  it('flattens the seed sample’s activity item with its timestamp and plain text', () => {
    const { rows } = requestActivityFlattener(seedMessage);
    expect(rows.map((r) => Object.keys(r).sort())).toEqual([columnsOf(requestActivity)]);
    expect(rows[0]).toEqual({
      event_id: eventId,
      request_id: '42',
      event_time: updatedAt,
      activity_index: 0,
      activity_id: 'LOREM12345',
      activity_ts: 1692826409902529n,
      activity_ts_raw: '1692826409.902529',
      user_id: 'LOREM12345',
      user_name: 'lorem.ipsum',
      text_html: '<p>Lorem ipsum dolor sit.</p>',
      text_plain: 'Lorem ipsum dolor sit.',
    });
  });

  it('yields no rows for absent, null, empty or non-list activity', () => {
    for (const activity of [undefined, null, [], 'x']) {
      expect(requestActivityFlattener(envelopeMessage(webhook({ activity }))).rows).toEqual([]);
    }
  });

  it('decodes entities and keeps unicode, and survives odd items', () => {
    const { rows } = requestActivityFlattener(
      envelopeMessage(
        webhook({
          activity: [
            {
              id: 'A',
              ts: '1692826409',
              text: '<p>Caf&eacute; &amp; 😀 <b>Ｂｏｌｄ</b><br>next</p>',
              user: { id: 'U', name: '🎉 zed' },
            },
            'junk',
            { ts: 12 },
          ],
        }),
      ),
    );
    expect(rows[0]).toMatchObject({
      activity_ts: 1692826409000000n,
      text_plain: 'Café & 😀 Ｂｏｌｄ\nnext',
      user_name: '🎉 zed',
    });
    expect(rows[1]).toMatchObject({ activity_index: 1, activity_id: null, activity_ts: null });
    expect(rows[2]).toMatchObject({ activity_ts: 12000000n, activity_ts_raw: '12' });
  });

  it('flattens 1,000 activity items in order', () => {
    const activity = Array.from({ length: 1000 }, (_, i) => ({
      id: `A${i}`,
      ts: `1692826409.${String(i).padStart(6, '0')}`,
      text: `<p>${i}</p>`,
      user: { id: 'U1', name: 'n' },
    }));
    const { rows } = requestActivityFlattener(envelopeMessage(webhook({ activity })));
    expect(rows).toHaveLength(1000);
    expect(rows[999]).toMatchObject({
      activity_index: 999,
      activity_id: 'A999',
      activity_ts: 1692826409000999n,
      text_plain: '999',
    });
  });
});

describe('request_assignments', () => {
  it('flattens the seed sample’s assignee', () => {
    const { rows } = requestAssignmentsFlattener(seedMessage);
    expect(rows.map((r) => Object.keys(r).sort())).toEqual([columnsOf(requestAssignments)]);
    expect(rows[0]).toEqual({
      event_id: eventId,
      request_id: '42',
      event_time: updatedAt,
      status: 'ASSIGNED',
      assigned_to_id: 'DOLOR11121',
      assigned_to_name: 'assigned.to_name',
      assigned_by_id: 'IPSUM67890',
      assigned_by_name: 'lorem.ipsum_assigner',
    });
  });

  it.each([[undefined], [null], [{}], [{ email: 'x@example.com' }], ['DOLOR11121']])(
    'yields no row when assignedTo is %j',
    (assignedTo) => {
      expect(requestAssignmentsFlattener(envelopeMessage(webhook({ assignedTo }))).rows).toEqual([]);
    },
  );

  it('keeps an assignee without an assigner', () => {
    expect(requestAssignmentsFlattener(envelopeMessage(webhook({ assignedBy: undefined }))).rows[0]).toMatchObject({
      assigned_by_id: null,
      assigned_to_id: 'DOLOR11121',
    });
  });
});

describe('request_csat', () => {
  it('flattens the seed sample’s entry', () => {
    const { rows, counts } = requestCsatFlattener(seedMessage);
    expect(rows.map((r) => Object.keys(r).sort())).toEqual([columnsOf(requestCsat)]);
    expect(rows[0]).toEqual({
      event_id: eventId,
      request_id: '42',
      event_time: updatedAt,
      rater: 'lorem.ipsum_customer',
      rating: 5,
      comment: 'Great Support!',
      feedback_html: '<p>lorem.ipsum_customer gave 5 with additional feedback of Great Support!</p>',
    });
    expect(counts).toBeUndefined();
  });

  it.each<[string, unknown, { rater: string | null; rating: number | null; comment: string | null }[]]>([
    ['absent', undefined, []],
    ['null', null, []],
    ['empty', '', []],
    ['empty paragraph', '<p></p>', []],
    ['a rating without a comment', '<p>ana gave 4</p>', [{ rater: 'ana', rating: 4, comment: null }]],
    [
      'an empty comment',
      '<p>ana gave 4 with additional feedback of </p>',
      [{ rater: 'ana', rating: 4, comment: null }],
    ],
    [
      'several entries',
      '<p>ana gave 5 with additional feedback of Great!</p><p>bo gave 2 with additional feedback of slow &amp; late</p>',
      [
        { rater: 'ana', rating: 5, comment: 'Great!' },
        { rater: 'bo', rating: 2, comment: 'slow & late' },
      ],
    ],
    ['no <p> at all', 'ana gave 3', [{ rater: 'ana', rating: 3, comment: null }]],
    [
      'unicode',
      '<p>Ｚｏë 😀 gave 1 with additional feedback of 좋아요</p>',
      [{ rater: 'Ｚｏë 😀', rating: 1, comment: '좋아요' }],
    ],
    ['an unreadable entry', '<p>thumbs up!</p>', [{ rater: null, rating: null, comment: 'thumbs up!' }]],
    [
      'a fractional rating',
      '<p>ana gave 4.5 with additional feedback of ok</p>',
      [{ rater: null, rating: null, comment: 'ana gave 4.5 with additional feedback of ok' }],
    ],
  ])('%s', (_name, feedbacks, expected) => {
    expect(parseFeedbacks(feedbacks).map(({ rater, rating, comment }) => ({ rater, rating, comment }))).toEqual(
      expected,
    );
  });

  it('keeps the HTML of an unreadable entry and counts it', () => {
    const { rows, counts } = requestCsatFlattener(
      envelopeMessage(webhook({ feedbacks: '<p>ana gave 5</p><p>???</p>' })),
    );
    expect(rows[1]).toMatchObject({ rating: null, feedback_html: '<p>???</p>' });
    expect(counts).toEqual({ unreadable_csat: 1 });
  });
});

describe('rejected_events', () => {
  it('flattens a dead-letter record of the ingress', () => {
    const value = JSON.stringify({
      schema: 'thena.dead-letter.v1',
      source: 'ingress',
      receivedAt: '2026-11-27T10:00:00.000Z',
      reason: 'invalid_json',
      details: [{ path: '/', message: 'bad' }],
      rawBody: '{oops',
    });
    const { rows } = rejectedEventsFlattener({ topic: 'dlq', partition: 0, offset: '17', value });
    expect(Object.keys(rows[0]!).sort()).toEqual(columnsOf(rejectedEvents));
    expect(rows[0]).toEqual({
      received_at: 1795773600000000n,
      source: 'ingress',
      reason: 'invalid_json',
      details_json: '[{"path":"/","message":"bad"}]',
      raw_body: '{oops',
      origin_topic: null,
      origin_partition: null,
      origin_offset: null,
      dlq_partition: 0,
      dlq_offset: '17',
    });
  });

  it('refuses a record it cannot read', () => {
    expect(() => rejectedEventsFlattener({ topic: 'dlq', partition: 0, offset: '1', value: '{}' })).toThrow(
      FlattenError,
    );
  });
});
