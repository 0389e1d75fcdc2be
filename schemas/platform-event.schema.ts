// The envelope of an accepted Thena platform event on thena.platform-events.v1, as the ingress
// writes it (services/ingress/platform-envelope.ts) and the platform tables read it
// (tables/platform/event.ts). The payload is the body exactly as received, in either of the shapes
// Thena sends (schemas/thena-platform-webhook.schema.ts); the ingress has already checked its
// eventId and eventType, which the header repeats.
import type { FromSchema } from 'json-schema-to-ts';

export const platformEventSchemaId = 'thena.platform-event.v1';

const nonEmpty = { type: 'string', minLength: 1 } as const;

export const platformEventSchema = {
  $id: 'thena-lake/platform-event',
  type: 'object',
  required: ['schema', 'eventId', 'receivedAt', 'eventType', 'workspace', 'entityId', 'payload'],
  properties: {
    schema: { const: platformEventSchemaId },
    eventId: { ...nonEmpty, description: "Thena's eventId, as sent: the event's identity." },
    receivedAt: { type: 'string', description: 'When the ingress accepted the body (ISO 8601, UTC).' },
    eventType: { ...nonEmpty, description: "Thena's eventType, as sent (ticket:created, …; any value)." },
    workspace: {
      ...nonEmpty,
      description: 'The Thena workspace the event belongs to, as the ingress named it.',
    },
    entityId: {
      ...nonEmpty,
      description:
        'The Kafka key: the ticket the event is about (a comment event: its ticket), else its comment or other entity, else the eventId (see entityIdOf).',
    },
    payload: {
      type: 'object',
      description: 'The body as received: the event, or its wrapper holding it under `message`.',
    },
  },
} as const;

export type PlatformEventEnvelope = FromSchema<typeof platformEventSchema>;
/** The envelope without its payload: what the ingress serialises before appending the raw body. */
export type PlatformEventHeader = Omit<PlatformEventEnvelope, 'payload'>;
