import { describe, expect, it } from 'vitest';
import { columnsOf } from '../../test/fixtures/envelopes.js';
import { flattened } from '../../test/support/flatten.js';
import { rejectedEventsFlattener } from './flatten.js';
import { rejectedEvents } from './table.js';
import { deadLetterMessage } from '../../services/shared/dead-letter.js';

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
    const { rows } = flattened(rejectedEventsFlattener({ topic: 'dlq', partition: 0, offset: '17', value }));
    expect(Object.keys(rows[0]!).sort()).toEqual(columnsOf(rejectedEvents));
    expect(rows[0]).toEqual({
      workspace: 'default',
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
      truncated_columns: [],
    });
  });

  it('keeps the workspace of the token that sent the rejected body', () => {
    const message = deadLetterMessage({
      topic: 'dlq',
      source: 'ingress',
      reason: 'invalid_json',
      message: 'bad',
      rawBody: '{oops',
      workspace: 'acme',
    });
    const { rows } = flattened(
      rejectedEventsFlattener({ topic: 'dlq', partition: 0, offset: '18', value: message.value }),
    );
    expect(rows[0]!.workspace).toBe('acme');
  });

  it('refuses a record it cannot read', () => {
    expect(rejectedEventsFlattener({ topic: 'dlq', partition: 0, offset: '1', value: '{}' })).toMatchObject({
      kind: 'dead-letter',
      reason: 'invalid_dead_letter',
    });
  });
});
