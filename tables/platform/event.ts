// Reading a platform-event envelope (schemas/platform-event.schema.ts) into what every flattener of
// the platform tables needs, and the columns those tables share. A message that is not such an
// envelope is a dead letter; anything inside Thena's body is read where it is found, and the body
// is kept whole in payload_json.
import {
  platformEventSchema,
  platformEventSchemaId,
  type PlatformEventEnvelope,
} from '../../schemas/platform-event.schema.js';
import { locateEvent } from '../../schemas/thena-platform-webhook.schema.js';
import type { FlattenResult, Flattener, Row } from '../../schemas/flattener.js';
import { column, nothingTruncated, truncatedColumnsColumn } from '../../schemas/table.js';
import { asObject, text } from '../thena/convert.js';
import { envelopeReader } from '../envelope.js';
import { thenaTime } from './time.js';

export interface PlatformEvent {
  workspace: string;
  eventId: string;
  eventType: string;
  receivedAt: bigint;
  /** The event's timestamp (see thenaTime), else receivedAt; microseconds since the epoch. */
  eventTime: bigint;
  /** The timestamp as sent, as text; null when absent. */
  timestampRaw: string | null;
  /** The timestamp was sent but could not be read, so eventTime is receivedAt. */
  timestampUnreadable: boolean;
  orgId: string | null;
  actor: Record<string, unknown> | null;
  /** Thena's `payload` member of the event; an empty object when absent or not an object. */
  payload: Record<string, unknown>;
  /** The body as Thena sent it: the event itself, or the wrapper holding it under `message`. */
  body: Record<string, unknown>;
}

const readEnvelope = envelopeReader<PlatformEventEnvelope>(platformEventSchema, platformEventSchemaId);

/** The event in a message's value, or why it cannot be read (a dead-letter result). */
export function readPlatformEvent(value: string): PlatformEvent | FlattenResult {
  const read = readEnvelope(value);
  if ('kind' in read) return read;
  const { envelope, receivedAt } = read;
  return fromEnvelope(envelope, receivedAt);
}

function fromEnvelope(envelope: PlatformEventEnvelope, receivedAt: bigint): PlatformEvent {
  const body = envelope.payload as Record<string, unknown>;
  const { event } = locateEvent(body);
  const timestampRaw = text(event.timestamp);
  const timestamp = thenaTime(event.timestamp);
  return {
    workspace: envelope.workspace,
    eventId: envelope.eventId,
    eventType: envelope.eventType,
    receivedAt,
    eventTime: timestamp ?? receivedAt,
    timestampRaw,
    timestampUnreadable: timestampRaw !== null && timestamp === null,
    orgId: text(event.orgId),
    actor: asObject(event.actor),
    payload: asObject(event.payload) ?? {},
    body,
  };
}

/** Adapts a flattener of platform events to raw messages; an unreadable timestamp is counted. */
export const fromPlatformEvents =
  (flatten: (event: PlatformEvent) => FlattenResult): Flattener =>
  (message) => {
    const event = readPlatformEvent(message.value);
    if ('kind' in event) return event;
    const result = flatten(event);
    if (!event.timestampUnreadable || result.kind !== 'rows') return result;
    return { ...result, counts: { ...result.counts, unreadable_timestamp: 1 } };
  };

/** The columns every platform row starts with. */
export const platformKey = (e: PlatformEvent): Row => ({
  workspace: e.workspace,
  event_id: e.eventId,
  event_type: e.eventType,
  event_time: e.eventTime,
  received_at: e.receivedAt,
  truncated_columns: nothingTruncated,
});

/** A row of a table of platform events: platformKey's columns, then each of `parts` (see eventRow). */
export const platformRow = (e: PlatformEvent, ...parts: Row[]): Row => Object.assign(platformKey(e), ...parts);

/** Every table of platform events has these columns. */
export const platformColumns = [
  column('workspace', 'STRING', 'NULLABLE', 'The Thena workspace the event belongs to, as the ingress named it.'),
  column('event_id', 'STRING', 'REQUIRED', "Thena's eventId: the event's identity (the same in every delivery)."),
  column('event_type', 'STRING', 'REQUIRED', "Thena's eventType (ticket:created, …), any value Thena sends."),
  column(
    'event_time',
    'TIMESTAMP',
    'REQUIRED',
    "The event's timestamp (ISO 8601 with a zone, or Unix time: milliseconds from 10^11, seconds below), else the time the ingress received it (UTC).",
  ),
  column('received_at', 'TIMESTAMP', 'REQUIRED', 'When the ingress accepted the event.'),
  // Filled by platformKey ([]) and by a sink that cuts a row to fit.
  truncatedColumnsColumn,
];

/** The event's body as JSON text, for payload_json. */
export const bodyJson = (e: PlatformEvent): string => JSON.stringify(e.body);

export const payloadJsonColumn = column(
  'payload_json',
  'STRING',
  'REQUIRED',
  'The whole body as Thena sent it, as JSON text (the event, or its wrapper holding it under `message`), unknown fields included.',
  'payload',
);
