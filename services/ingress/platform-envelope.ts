// The platform-event envelope the ingress writes to Kafka (schemas/platform-event.schema.ts), built
// around the raw body by string concatenation as eventEnvelope (envelope.ts) is, and for the same
// reason: the body is known to be valid JSON, and re-serialising it is the costliest step there is.
import { platformEventSchemaId, type PlatformEventHeader } from '../../schemas/platform-event.schema.js';
import type { PlatformAccepted } from './platform.js';

/** The Kafka value of an accepted platform event; its key is `event.entityId`. */
export function platformEnvelope(event: PlatformAccepted, receivedAt: Date, workspace: string): string {
  const header: PlatformEventHeader = {
    schema: platformEventSchemaId,
    eventId: event.eventId,
    receivedAt: receivedAt.toISOString(),
    eventType: event.eventType,
    workspace,
    entityId: event.entityId,
  };
  const head = JSON.stringify(header);
  return `${head.slice(0, -1)},"payload":${event.raw}}`;
}
