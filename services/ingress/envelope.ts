// The event envelope the ingress writes to Kafka (schemas/request-event.schema.ts). It is
// built around the raw body by string concatenation rather than re-serialising the parsed object:
// the body is known to be valid JSON, and skipping the re-serialisation is the largest CPU saving
// on the hot path (MEASURED.md: 0.91 vs 0.5 of a bare route). The summary header reuses the
// envelope's head around the few request fields it carries.
import {
  requestEventSchemaId,
  requestSummaryFields,
  requestSummaryHeader,
  requestSummaryMaxChars,
  type RequestEventHeader,
} from '../../schemas/request-event.schema.js';
import type { Accepted } from './webhook.js';
import { defaultWorkspace } from '../../schemas/workspace.js';

/** The envelope's JSON without its payload and closing brace. */
function envelopeHead(event: Accepted, receivedAt: Date, workspace: string): string {
  const header: RequestEventHeader = {
    schema: requestEventSchemaId,
    eventId: event.eventId,
    receivedAt: receivedAt.toISOString(),
    action: event.action,
    requestId: event.requestId,
  };
  // `workspace` is omitted for 'default', so envelopes from before workspaces read the same.
  if (workspace !== defaultWorkspace) header.workspace = workspace;
  if (event.fieldProblems.length > 0) header.fieldProblems = event.fieldProblems;
  return JSON.stringify(header).slice(0, -1);
}

/** The envelope: a Kafka message's value. */
export function eventEnvelope(event: Accepted, receivedAt: Date, workspace = defaultWorkspace): string {
  return `${envelopeHead(event, receivedAt, workspace)},"payload":${event.raw}}`;
}

/** The event as a Kafka message's value and headers: the envelope, and its summary when it is small enough. */
export function eventMessage(
  event: Accepted,
  receivedAt: Date,
  workspace = defaultWorkspace,
): { value: string; headers?: Record<string, string> } {
  const head = envelopeHead(event, receivedAt, workspace);
  const value = `${head},"payload":${event.raw}}`;
  const picked: Record<string, unknown> = {};
  for (const field of requestSummaryFields) {
    if (event.request[field] !== undefined) picked[field] = event.request[field];
  }
  const summary = `${head},"payload":{"request":${JSON.stringify(picked)}}}`;
  return summary.length > requestSummaryMaxChars ? { value } : { value, headers: { [requestSummaryHeader]: summary } };
}
