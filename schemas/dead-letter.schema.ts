// Dead-letter records on thena.request-events.dlq.v1: bodies the ingress rejected with 400, and
// messages (or rows) a consumer could not process. The value is JSON; the headers let a tool route
// or count records without parsing them.
import type { FromSchema } from 'json-schema-to-ts';
import { problemSchema } from './problem.schema.js';

export const deadLetterSchemaId = 'thena.dead-letter.v1';

/** Kafka header names on every dead-letter record. */
export const DeadLetterHeaders = {
  source: 'x-dlq-source', // 'ingress' or the consumer service's name
  reason: 'x-dlq-reason',
  originTopic: 'x-dlq-origin-topic',
  originPartition: 'x-dlq-origin-partition',
  originOffset: 'x-dlq-origin-offset',
  retryCount: 'x-dlq-retry-count',
  /**
   * On a message a redrive sends back to its topic: the consumer service (and sink) it is for,
   * `service` or `service/sink`. Every other consumer of the topic passes over it, so a redrive
   * re-feeds only the table (and sink) that failed.
   */
  redriveFor: 'x-dlq-redrive-for',
} as const;

export const deadLetterSchema = {
  $id: 'thena-lake/dead-letter',
  type: 'object',
  required: ['schema', 'source', 'receivedAt', 'reason', 'details', 'rawBody'],
  properties: {
    schema: { const: deadLetterSchemaId },
    source: { type: 'string', description: "'ingress', or the consumer service (and sink) that failed." },
    receivedAt: { type: 'string', description: 'When the body was rejected or the message failed (ISO 8601).' },
    reason: { type: 'string', description: 'Why, as a short code.' },
    details: { type: 'array', items: problemSchema },
    workspace: {
      type: 'string',
      description: "The workspace of the token that sent a rejected body, or of the failed message; absent: 'default'.",
    },
    rawBody: { type: 'string', description: 'The body (or message, or row) exactly as it came; it may not be JSON.' },
    failed: {
      enum: ['message', 'row'],
      description:
        "What rawBody holds for a consumer's record: the Kafka message it could not process, or a row a sink refused. Absent on older records: a message when source names no sink, a row otherwise.",
    },
    origin: {
      type: 'object',
      required: ['topic', 'partition', 'offset'],
      additionalProperties: false,
      properties: {
        topic: { type: 'string' },
        partition: { type: 'integer' },
        offset: { type: 'string', description: 'An offset, or first-last for a batch.' },
      },
    },
  },
} as const;

export type DeadLetterRecord = FromSchema<typeof deadLetterSchema>;
