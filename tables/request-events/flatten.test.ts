import { describe, expect, it } from 'vitest';
import {
  envelopeMessage,
  receivedAt,
  seedMessage,
  seedEventId,
  seedUpdatedAt,
  columnsOf,
} from '../../test/fixtures/envelopes.js';
import { seed, webhook } from '../../test/fixtures/webhooks.js';
import { flattened } from '../../test/support/flatten.js';
import { requestEventsFlattener } from './flatten.js';
import { requestEvents } from './table.js';

describe('request_events', () => {
  it('flattens the seed sample into one row with every declared column', () => {
    const { rows } = flattened(requestEventsFlattener(seedMessage));
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(Object.keys(row).sort()).toEqual(columnsOf(requestEvents));
    expect(row).toEqual({
      workspace: 'default',
      event_id: seedEventId,
      request_id: '42',
      event_time: seedUpdatedAt,
      action: 'UPDATE',
      received_at: BigInt(receivedAt.getTime()) * 1000n,
      created_at: 1692826261573000n,
      updated_at: seedUpdatedAt,
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
      payload_drift: [], // the sample is what the description and the expected fields describe
      truncated_columns: [],
    });
  });

  it('takes event_time from seedUpdatedAt, else createdAt, else the time received', () => {
    const time = (request: Record<string, unknown>) =>
      flattened(requestEventsFlattener(envelopeMessage(webhook(request)))).rows[0]!.event_time;
    expect(time({})).toBe(seedUpdatedAt);
    expect(time({ updatedAt: undefined })).toBe(1692826261573000n);
    expect(time({ updatedAt: null, createdAt: 'garbage' })).toBe(BigInt(receivedAt.getTime()) * 1000n);
  });

  it("takes the workspace from the envelope, and 'default' from one that names none", () => {
    const inWorkspace = flattened(requestEventsFlattener(envelopeMessage(webhook({}), 0, receivedAt, 'acme')));
    expect(inWorkspace.rows[0]!.workspace).toBe('acme');
    expect(JSON.parse(envelopeMessage(webhook({})).value)).not.toHaveProperty('workspace');
    expect(flattened(requestEventsFlattener(envelopeMessage(webhook({})))).rows[0]!.workspace).toBe('default');
  });

  it('keys the event the same with requestId as a number or a string', () => {
    const a = flattened(requestEventsFlattener(envelopeMessage(webhook({ requestId: 42 })))).rows[0]!;
    const b = flattened(requestEventsFlattener(envelopeMessage(webhook({ requestId: '42' })))).rows[0]!;
    expect(a.request_id).toBe('42');
    expect(b.request_id).toBe('42');
  });

  it('gives NULL for absent, null or unconvertible fields, and keeps the payload whole', () => {
    const row = flattened(
      requestEventsFlattener(
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
    const lossy = flattened(requestEventsFlattener(envelopeMessage(webhook({ replyCount: 8.5 })))).rows[0]!;
    expect(lossy.reply_count).toBeNull();
  });

  it('handles an empty request object with only its id', () => {
    const row = flattened(requestEventsFlattener(envelopeMessage({ action: 'CREATE', request: { requestId: 7 } })))
      .rows[0]!;
    expect(row).toMatchObject({
      request_id: '7',
      status: null,
      ai_tags: null,
      description_text: null,
      payload_json: '{"requestId":7}',
    });
  });

  // Each took hours through the regular expressions htmlToText had (quadratic in the run); the
  // 5 s test timeout is the guard. A `<` that opens no tag stays text.
  it.each([
    ['`<` with no `>`', '<'.repeat(4 * 1024 * 1024)],
    ['a run of spaces before no newline', `a${' '.repeat(4 * 1024 * 1024 - 2)}b`],
  ])('reads a description of 4 MiB: %s', (_name, description) => {
    const { rows } = flattened(requestEventsFlattener(envelopeMessage(webhook({ description }))));
    expect(rows[0]!.description_text === description).toBe(true);
  });

  it('sends a message that is not an envelope to the dead-letter path', () => {
    expect(requestEventsFlattener({ ...seedMessage, value: 'nope' })).toMatchObject({
      kind: 'dead-letter',
      reason: 'invalid_envelope',
    });
    expect(requestEventsFlattener({ ...seedMessage, value: '{"schema":"other"}' })).toMatchObject({
      kind: 'dead-letter',
      message: expect.stringMatching(/not a thena.request-event.v1 envelope/),
    });
  });
});
