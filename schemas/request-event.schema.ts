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
