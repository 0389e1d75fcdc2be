// A dead-letter record holding a body at the ingress's limit fits its topic, however the body's
// characters escape: a consumer that cannot process such a message must be able to publish it, or
// the partition could never move past it.
import { describe, expect, it } from 'vitest';
import { topics } from '../../schemas/topics.js';
import { classify, eventEnvelope } from '../ingress/index.js';
import { configSchema } from '../../schemas/config.schema.js';
import { deadLetterMessage } from './dead-letter.js';

const largestBody = configSchema.properties.INGRESS_BODY_LIMIT_BYTES.maximum;
const topicLimit = Number(topics.deadLetter.config['max.message.bytes']);

/** A webhook of exactly `bytes` whose text is all `\\` escapes: each doubles again in a record. */
function worstBody(bytes: number): string {
  const head = '{"action":"UPDATE","request":{"requestId":1,"d":"';
  const tail = '"}}';
  const pairs = Math.floor((bytes - head.length - tail.length) / 2);
  return head + '\\\\'.repeat(pairs) + tail;
}

describe('a dead-letter record of a message at the body limit', () => {
  it.each([
    ['the default limit (4 MiB)', 4 * 1024 * 1024],
    ['the largest limit the configuration allows', largestBody],
  ])('fits the dead-letter topic at %s', (_what, bytes) => {
    const body = worstBody(bytes);
    expect(Buffer.byteLength(body)).toBeGreaterThan(bytes - 2);
    const accepted = classify(body);
    if (accepted.kind !== 'accepted') throw new Error('the worst body must be accepted');
    const message = eventEnvelope(accepted, new Date());
    const record = deadLetterMessage({
      topic: topics.deadLetter.name,
      source: 'request-events/bigquery',
      failed: 'message',
      reason: 'bigquery_write_failed',
      message: 'x'.repeat(1_000),
      rawBody: message,
      origin: { topic: topics.requestEvents.name, partition: 0, offset: '1' },
    });
    // Uncompressed, as a consumer publishes it; Kafka counts a batch's record overhead on top.
    expect(Buffer.byteLength(record.value) + 1_024).toBeLessThanOrEqual(topicLimit);
  });
});
