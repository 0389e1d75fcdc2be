// Reading a request-event envelope (schemas/request-event.schema.ts) into what every flattener of
// the request tables needs, and the columns those tables share.
import {
  requestEventSchema,
  requestEventSchemaId,
  requestSummaryHeader,
  type RequestEventEnvelope,
  type RequestSummaryField,
} from '../../schemas/request-event.schema.js';
import type { FlattenResult, Flattener, Row } from '../../schemas/flattener.js';
import { column, nothingTruncated, truncatedColumnsColumn, workspaceColumn } from '../../schemas/table.js';
import { defaultWorkspace } from '../../schemas/workspace.js';
import { isoMicros } from './convert.js';
import { envelopeReader } from '../envelope.js';

export interface RequestEvent {
  eventId: string;
  requestId: string;
  /** The envelope's workspace, 'default' when it names none. */
  workspace: string;
  action: string;
  receivedAt: bigint;
  /** updatedAt, else createdAt, else receivedAt; microseconds since the epoch. */
  eventTime: bigint;
  request: Record<string, unknown>;
  /** The body as Thena sent it (`action`, `request`, anything else); a summary's holds only `request`. */
  body: Record<string, unknown>;
  fieldProblems: unknown[] | undefined;
}

const readEnvelope = envelopeReader<RequestEventEnvelope>(requestEventSchema, requestEventSchemaId);

/** The event in a message's value, or why it cannot be read (a dead-letter result). */
export function readEvent(value: string): RequestEvent | FlattenResult {
  const read = readEnvelope(value);
  if ('kind' in read) return read;
  const { envelope, receivedAt } = read;
  const request = envelope.payload.request as Record<string, unknown>;
  return {
    eventId: envelope.eventId,
    requestId: envelope.requestId,
    workspace: envelope.workspace ?? defaultWorkspace,
    action: envelope.action,
    receivedAt,
    eventTime: isoMicros(request.updatedAt) ?? isoMicros(request.createdAt) ?? receivedAt,
    request,
    body: envelope.payload as Record<string, unknown>,
    fieldProblems: envelope.fieldProblems,
  };
}

/**
 * Adapts a flattener of request events to raw messages. A flattener that reads no field of the
 * request beyond `reads` (all of them summary fields) is given the message's summary header when it
 * has one that reads (schemas/request-event.schema.ts), and the message's value otherwise; the
 * summaries test (tables/thena/summary.test.ts) holds each such flattener to its list.
 */
export const fromEvents =
  (flatten: (event: RequestEvent) => FlattenResult, o: { reads?: readonly RequestSummaryField[] } = {}): Flattener =>
  (message) => {
    const summary = o.reads && message.header?.(requestSummaryHeader);
    if (summary) {
      const event = readEvent(summary);
      if (!('kind' in event)) return flatten(event);
    }
    const event = readEvent(message.value);
    return 'kind' in event ? event : flatten(event);
  };

/** The columns every event-derived row starts with. */
export const eventKey = (e: RequestEvent): Row => ({
  workspace: e.workspace,
  event_id: e.eventId,
  request_id: e.requestId,
  event_time: e.eventTime,
  truncated_columns: nothingTruncated,
});

/**
 * A row of a table of request events: eventKey's columns, then `columns`. Not
 * `{ ...eventKey(e), ...columns }`: on Node 20 an object literal that spreads another and then adds
 * properties of its own takes 2-16 µs to build, against 0.2-0.5 µs here, and request_activity
 * builds twenty such rows an event (bench/read-cost.ts measures the flatteners).
 */
export const eventRow = (e: RequestEvent, columns: Row): Row => Object.assign(eventKey(e), columns);

/** Every table of request events starts with these columns (which eventKey fills). */
export const eventColumns = [
  workspaceColumn,
  column(
    'event_id',
    'STRING',
    'REQUIRED',
    'First 32 hex characters of SHA-256 over the webhook body in RFC 8785 form.',
  ),
  column('request_id', 'STRING', 'REQUIRED', "Thena's requestId as a decimal string."),
  column(
    'event_time',
    'TIMESTAMP',
    'REQUIRED',
    'updatedAt, else createdAt, else the time the ingress received the event (UTC).',
  ),
  // Filled by the key below ([]) and by a sink that cuts a row to fit.
  truncatedColumnsColumn,
];
