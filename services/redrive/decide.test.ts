// What a redrive would do with each kind of dead letter, decided with the code as it is now.
import { describe, expect, it } from 'vitest';
import type { DeadLetterRecord } from '../../schemas/dead-letter.schema.js';
import { deadLetterSchemaId, DeadLetterHeaders } from '../../schemas/dead-letter.schema.js';
import { topics } from '../../schemas/topics.js';
import { classify } from '../ingress/index.js';
import { seedBody, webhook } from '../../test/fixtures/webhooks.js';
import { seedMessage } from '../../test/fixtures/envelopes.js';
import { decide } from './decide.js';

const receivedAt = new Date('2026-11-29T10:00:00Z');
const record = (overrides: Partial<DeadLetterRecord>): DeadLetterRecord => ({
  schema: deadLetterSchemaId,
  source: 'ingress',
  receivedAt: '2026-11-28T10:00:00.000Z',
  reason: 'missing_or_invalid_keys',
  details: [{ path: '/action', message: 'required' }],
  rawBody: seedBody,
  ...overrides,
});

describe('decide', () => {
  it('sends a body the ingress now accepts as the event it would have been, with the same eventId', () => {
    const d = decide(record({}), 0, receivedAt);
    const accepted = classify(seedBody);
    expect(accepted.kind).toBe('accepted');
    expect(d).toMatchObject({ action: 'publish', message: { topic: topics.requestEvents.name, key: '42' } });
    if (d.action !== 'publish' || accepted.kind !== 'accepted') return;
    expect(JSON.parse(d.message.value)).toMatchObject({ eventId: accepted.eventId, requestId: '42' });
  });

  it('leaves a body that is still rejected for the same reason where it is', () => {
    const body = JSON.stringify({ request: webhook().request });
    const rejected = classify(body);
    if (rejected.kind !== 'rejected') throw new Error('expected a rejection');
    const d = decide(record({ rawBody: body, reason: rejected.reason, details: rejected.details }), 1, receivedAt);
    expect(d).toEqual({ action: 'unchanged', reason: 'missing_or_invalid_keys' });
  });

  it('sends a body rejected for another reason back to the dead letters with its count raised', () => {
    const d = decide(record({ rawBody: '{oops', reason: 'not_an_object', details: [] }), 2, receivedAt);
    expect(d).toMatchObject({ action: 'dead-letter', reason: 'invalid_json' });
    if (d.action !== 'dead-letter') return;
    expect(d.message.headers![DeadLetterHeaders.retryCount]).toBe('3');
    expect(JSON.parse(d.message.value)).toMatchObject({ source: 'ingress', reason: 'invalid_json', rawBody: '{oops' });
  });

  it('sends a message a consumer can now read back to its topic, under its key, with the count raised', () => {
    const origin = { topic: topics.requestEvents.name, partition: 3, offset: '17' };
    const d = decide(
      record({ source: 'request-csat', reason: 'flatten_failed', rawBody: seedMessage.value, origin }),
      0,
      receivedAt,
    );
    expect(d).toMatchObject({
      action: 'publish',
      message: {
        topic: topics.requestEvents.name,
        key: '42',
        value: seedMessage.value,
        headers: { [DeadLetterHeaders.retryCount]: '1' },
      },
    });
  });

  it('leaves a message the consumer still cannot read for the same reason', () => {
    const origin = { topic: topics.requestEvents.name, partition: 0, offset: '1' };
    const d = decide(
      record({ source: 'request-csat', reason: 'invalid_envelope', rawBody: 'nope', origin }),
      0,
      receivedAt,
    );
    expect(d).toEqual({ action: 'unchanged', reason: 'invalid_envelope' });
  });

  it('offers a row BigQuery refused again, with its timestamps as the sinks take them', () => {
    const row = { event_id: 'e', request_id: '42', event_time: '1795773600000000', activity_index: 1 };
    const d = decide(
      record({ source: 'request-activity/bigquery', reason: 'bigquery_invalid', rawBody: JSON.stringify(row) }),
      0,
      receivedAt,
    );
    expect(d).toMatchObject({ action: 'insert', row: { event_time: 1795773600000000n, activity_index: 1 } });
  });

  it('sends a message one sink could not process back for that service and sink alone', () => {
    const origin = { topic: topics.requestEvents.name, partition: 2, offset: '9' };
    const d = decide(
      record({
        source: 'request-activity/parquet',
        failed: 'message',
        reason: 'parquet_write_failed',
        rawBody: seedMessage.value,
        origin,
      }),
      1,
      receivedAt,
    );
    expect(d).toMatchObject({
      action: 'publish',
      message: {
        topic: topics.requestEvents.name,
        value: seedMessage.value,
        headers: { [DeadLetterHeaders.retryCount]: '2', [DeadLetterHeaders.redriveFor]: 'request-activity/parquet' },
      },
    });
  });

  it('skips what it cannot redrive, saying why', () => {
    expect(decide(record({ source: 'no-such-service', reason: 'x' }), 0, receivedAt)).toEqual({
      action: 'skip',
      why: 'no table has a consumer named no-such-service',
    });
  });
});
