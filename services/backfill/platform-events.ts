// What one ticket read from the platform API becomes, with no I/O: a platform event in Thena's
// documented envelope, published as the ingress publishes a platform webhook, so the same consumers
// fill ticket_events and ticket_latest; or a dead letter saying why not and where it was read.
//
// The event: eventType `ticket:snapshot`, `payload.ticket` the ticket as the API gave it, `timestamp`
// its updatedAt (else createdAt), so ticket_latest orders it against live events by the ticket's own
// time and a live event newer than the snapshot wins; `orgId` the backfill's workspace; `actor` the
// backfill. Its eventId is `backfill-` and 32 hex characters of SHA-256 over the ticket's RFC 8785
// form: the same ticket read twice (a second run, a page repeated when tickets were added) is the
// same event, and a ticket that changed is a new one.
import { createHash } from 'node:crypto';
import { canonicalJson, classifyPlatform, platformEnvelope } from '../ingress/index.js';
import { idText } from '../../schemas/thena-platform-webhook.schema.js';
import { deadLetter, isObject, kindOf, type EventContext, type Outcome } from './events.js';
import type { SourceItem } from './sources.js';
import { ticketTime } from './platform-api.js';

export const ticketSnapshotType = 'ticket:snapshot';
/** The actor of a backfilled event: the backfill itself, not a person. */
export const backfillActor = { id: 'thena-lake-backfill', type: 'BACKFILL' } as const;

/** The body a platform webhook would have carried for this ticket. */
export function snapshotBody(ticket: Record<string, unknown>, workspace: string): string {
  const digest = createHash('sha256').update(canonicalJson(ticket)).digest('hex').slice(0, 32);
  const timestamp = ticket.updatedAt ?? ticket.createdAt;
  return JSON.stringify({
    eventId: `backfill-${digest}`,
    eventType: ticketSnapshotType,
    timestamp,
    orgId: workspace,
    actor: backfillActor,
    payload: { ticket },
    metadata: { source: 'backfill' },
  });
}

/** The event for one ticket read, or the dead letter that says why there is none. Never throws. */
export function platformOutcomeOf(item: SourceItem, ctx: EventContext): Outcome {
  const { where } = item;
  if (item.kind === 'unreadable') {
    return deadLetter(ctx, where, item.reason, [{ path: '/', message: item.message }], item.raw);
  }
  const ticket = item.value;
  const raw = () => item.raw ?? JSON.stringify(ticket);
  if (!isObject(ticket)) {
    const message = `a ticket must be a JSON object, not ${kindOf(ticket)}`;
    return deadLetter(ctx, where, 'not_an_object', [{ path: '/', message }], raw());
  }
  if (idText(ticket.id) === null) {
    const message = `the ticket has no id (a non-blank string or a whole number): ${JSON.stringify(ticket.id) ?? 'absent'}`;
    return deadLetter(ctx, where, 'no_ticket_id', [{ path: '/id', message }], raw());
  }
  if (ticketTime(ticket) === null) {
    const message =
      'neither updatedAt nor createdAt is a time (ISO 8601 with a zone, or Unix time): without a source time this ' +
      'snapshot could not be ordered against live events in ticket_latest';
    return deadLetter(ctx, where, 'no_source_time', [{ path: '/updatedAt', message }], raw());
  }
  const body = snapshotBody(ticket, ctx.workspace);
  const size = Buffer.byteLength(body);
  if (size > ctx.bodyLimitBytes) {
    const why = `the event is ${size} bytes, over INGRESS_BODY_LIMIT_BYTES (${ctx.bodyLimitBytes})`;
    return deadLetter(ctx, where, 'too_large', [{ path: '/', message: why }], body.slice(0, 64 * 1024));
  }
  const result = classifyPlatform(body);
  if (result.kind === 'rejected') return deadLetter(ctx, where, result.reason, result.details, body);
  return {
    kind: 'event',
    eventId: result.eventId,
    requestId: result.entityId,
    message: {
      topic: ctx.to.events,
      key: result.entityId,
      value: platformEnvelope(result, ctx.receivedAt, ctx.workspace),
    },
  };
}
