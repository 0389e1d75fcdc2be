// ticket_events: one row per platform event, of any type: the ticket columns where the event
// carries a ticket, NULL where it does not (a partial event, an account or user event, a type
// nobody has documented yet), and the whole body in payload_json either way.
import { rows, type FlattenResult } from '../../schemas/flattener.js';
import { idText, locateEvent, ticketRefOf } from '../../schemas/thena-platform-webhook.schema.js';
import { text } from '../thena/convert.js';
import { bodyJson, fromPlatformEvents, platformRow, type PlatformEvent } from '../platform/event.js';
import { ticketColumns, ticketOf } from '../platform/ticket.js';
import { driftColumnValue, platformDrift } from '../drift/rules.js';

export function flattenTicketEvent(e: PlatformEvent): FlattenResult {
  const ticket = ticketRefOf(e.eventType, e.payload);
  const row = platformRow(
    e,
    {
      org_id: e.orgId,
      ticket_id: ticket?.id ?? null,
      ticket_id_source: ticket?.path ?? null,
      actor_id: idText(e.actor?.id),
      actor_type: text(e.actor?.type),
      actor_email: text(e.actor?.email),
      timestamp_raw: e.timestampRaw,
    },
    ticketColumns(ticketOf(e.payload), e.eventType),
    { payload_json: bodyJson(e), payload_drift: driftColumnValue(locateEvent(e.body).event, platformDrift) },
  );
  // A ticket event whose ticket cannot be found is kept (ticket_latest cannot place it): counted.
  const lost = ticket === null && e.eventType.startsWith('ticket:');
  return rows([row], lost ? { ticket_id_missing: 1 } : undefined);
}

export const ticketEventsFlattener = fromPlatformEvents(flattenTicketEvent);
