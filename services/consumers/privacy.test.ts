import { describe, expect, it } from 'vitest';
import { pseudonymizer } from './privacy.js';
import {
  rejectedEvents,
  requestActivity,
  requestAssignments,
  requestCsat,
  requestEvents,
} from '../../tables/catalogue.js';
import type { TableDefinition } from '../../schemas/table.js';
import { deadLetterMessage } from '../shared/dead-letter.js';
import { envelopeMessage } from '../../test/fixtures/envelopes.js';
import { seedBody, webhook } from '../../test/fixtures/webhooks.js';
import { flattened } from '../../test/support/flatten.js';

/** The table's rows for a message, pseudonymised. */
const pseudonymised = (table: TableDefinition, message: Parameters<TableDefinition['consumer']['flatten']>[0]) =>
  flattened(table.consumer.flatten(message)).rows.map((r) => p.row(table, r));

const p = pseudonymizer('a-test-key-of-at-least-32-characters!!');

describe('pseudonymisation', () => {
  it('gives the same value the same pseudonym, and another key another one', () => {
    expect(p.value('ana@example.com')).toMatch(/^p_[0-9a-f]{24}$/);
    expect(p.value('ana@example.com')).toBe(p.value('ana@example.com'));
    expect(p.value('ana@example.com')).not.toBe(p.value('bo@example.com'));
    expect(pseudonymizer('another-key-of-at-least-32-characters!!').value('ana@example.com')).not.toBe(
      p.value('ana@example.com'),
    );
  });

  it('masks e-mail addresses in free text, whatever their case, and keeps the words', () => {
    expect(p.text('Write to Ana@Example.com or bo@example.org, thanks')).toBe(
      `Write to ${p.value('ana@example.com')} or ${p.value('bo@example.org')}, thanks`,
    );
  });

  const personalInSeed = [
    '@example.com',
    'lorem.ipsum_customer',
    'lorem.ipsum_assigner',
    'assigned.to_name',
    'Lorem Customer Ipsum',
  ];

  it.each([
    ['JSON (no action)', JSON.stringify({ request: JSON.parse(seedBody).request })],
    ['broken JSON (cut off)', seedBody.slice(0, seedBody.indexOf('"team_id"'))],
  ])('leaves no name or e-mail address in a rejected body: %s', (_name, rawBody) => {
    const record = deadLetterMessage({ topic: 'dlq', source: 'ingress', reason: 'r', message: 'm', rawBody });
    const message = { topic: 'dlq', partition: 0, offset: '0', value: record.value };
    const [row] = pseudonymised(rejectedEvents, message);
    for (const personal of personalInSeed) expect(row!.raw_body, personal).not.toContain(personal);
    expect(row!.raw_body).toContain(p.value('Lorem Customer Ipsum'));
    // What is not personal stays readable.
    expect(row!.raw_body).toContain('thena-dev-lorem');
  });

  it('leaves no name or e-mail address of the seed sample in any table', () => {
    const message = envelopeMessage(seedBody);
    const rows = [
      ...pseudonymised(requestEvents, message),
      ...pseudonymised(requestActivity, message),
      ...pseudonymised(requestAssignments, message),
      ...pseudonymised(requestCsat, message),
    ];
    const text = JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    for (const personal of personalInSeed) expect(text, personal).not.toContain(personal);
    const payload = JSON.parse(rows[0]!.payload_json as string);
    expect(payload.requestor).toMatchObject({
      firstName: p.value('Lorem'),
      lastName: p.value('Ipsum'),
      id: 'REQ123456',
    });
    // Not a person: a configured field's name stays.
    expect(payload.configuredFieldValues.Product[0].name).toBe('Product Lorem');
    // Still joinable: the assignee's pseudonym is the same in the payload and in its column.
    const assignment = rows.find((r) => 'assigned_to_name' in r)!;
    expect(JSON.parse(rows[0]!.payload_json as string).assignedTo.name).toBe(assignment.assigned_to_name);
    // And what is not personal stays as it was.
    expect(rows[0]).toMatchObject({ status: 'ASSIGNED', team_name: 'Team Lorem Ipsum', reply_count: 8 });
  });

  it('hashes the strings of payload-drift examples and keeps paths, kinds and other values', () => {
    const body = webhook({ secretField: { owner: 'ana@example.com', n: 3 }, replyCount: 'many' });
    const [row] = pseudonymised(requestEvents, envelopeMessage(body));
    expect((row!.payload_drift as string[]).map((e) => JSON.parse(e) as unknown)).toEqual([
      ['type', 'request.replyCount', JSON.stringify(p.value('many'))],
      ['unknown', 'request.secretField', JSON.stringify({ owner: p.value('ana@example.com'), n: 3 })],
    ]);
  });

  it('replaces the rater inside the CSAT text as well', () => {
    const [row] = pseudonymised(
      requestCsat,
      envelopeMessage(webhook({ feedbacks: '<p>Zoë Ng gave 5 with additional feedback of mail zoe@example.com</p>' })),
    );
    expect(row!.rater).toBe(p.value('Zoë Ng'));
    expect(row!.feedback_html).toBe(
      `<p>${p.value('Zoë Ng')} gave 5 with additional feedback of mail ${p.value('zoe@example.com')}</p>`,
    );
    expect(row!.comment).toBe(`mail ${p.value('zoe@example.com')}`);
  });
});
