// The envelope of an accepted webhook on thena.request-events.v1, as the ingress writes it and the
// consumers read it. The payload is the body exactly as received; only `request` is required of
// it here (the ingress has already checked the keying fields; see thena-webhook.schema.ts).
import type { FromSchema } from 'json-schema-to-ts';
import { problemSchema } from './problem.schema.js';

export const requestEventSchemaId = 'thena.request-event.v1';

export const requestEventSchema = {
  $id: 'thena-lake/request-event',
  type: 'object',
  required: ['schema', 'eventId', 'receivedAt', 'action', 'requestId', 'payload'],
  properties: {
    schema: { const: requestEventSchemaId },
    eventId: { type: 'string', description: 'First 32 hex characters of SHA-256 over the body in RFC 8785 form.' },
    receivedAt: { type: 'string', description: 'When the ingress accepted the body (ISO 8601, UTC).' },
    action: { type: 'string' },
    requestId: { type: 'string', description: 'Canonical decimal string; also the Kafka key.' },
    workspace: {
      type: 'string',
      description:
        "The Thena workspace the event belongs to (from the token that authenticated it); absent: 'default'.",
    },
    fieldProblems: {
      type: 'array',
      items: problemSchema,
      description: 'Present when documented fields had the wrong type; the payload keeps them as sent.',
    },
    payload: {
      type: 'object',
      required: ['request'],
      properties: { request: { type: 'object' } },
    },
  },
} as const;

export type RequestEventEnvelope = FromSchema<typeof requestEventSchema>;
/** The envelope without its payload: what the ingress serialises before appending the raw body. */
export type RequestEventHeader = Omit<RequestEventEnvelope, 'payload'>;

/**
 * A Kafka header on each request event: the envelope again with only these fields of the request,
 * so the services whose tables read nothing else (request_csat, request_assignments) parse a few
 * hundred bytes instead of the whole body (docs/design.md, "Reading an event once"). It is an
 * envelope of the same schema; the value stays the event's record and decides whenever the two
 * could differ: a message without the header, or with one that cannot be read, is read from its
 * value. A summary longer than `requestSummaryMaxChars` is left out. The version is in the name: a
 * summary with other fields gets a new name, and services that do not know it read the value.
 */
export const requestSummaryHeader = 'thena-summary-v1';

/** The request fields a summary carries when the body has them. */
export const requestSummaryFields = [
  'createdAt',
  'updatedAt',
  'status',
  'assignedTo',
  'assignedBy',
  'feedbacks',
] as const;

export type RequestSummaryField = (typeof requestSummaryFields)[number];

/** The longest summary (UTF-16 units of its JSON) a message carries; a larger one is left out. */
export const requestSummaryMaxChars = 64 * 1024;
