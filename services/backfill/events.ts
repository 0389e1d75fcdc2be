// What one request object read by a backfill becomes, with no I/O: the body
// {"action":"BACKFILL","request": <object>} taken through the webhook's own rule (classify: the
// eventId is the SHA-256 of the body's RFC 8785 form, so a second backfill yields the same ids and
// changes nothing in the views), published as the ingress publishes a webhook; or a dead letter
// saying why not and where the object was read.
import type { OutgoingMessage } from '../../schemas/topics.js';
import { isoMicros } from '../../tables/thena/convert.js';
import { classify, eventMessage } from '../ingress/index.js';
import { deadLetterMessage, type DeadLetterRecord } from '../shared/dead-letter.js';
import type { SourceItem } from './sources.js';

type Problem = DeadLetterRecord['details'][number];

export const backfillAction = 'BACKFILL';
/** The dead-letter records' `source`. */
export const deadLetterSource = 'backfill';

/** The dead letters kept of a body over the limit: its start, so it can be recognised. */
const keptOfTooLarge = 64 * 1024;

export interface Destinations {
  events: string;
  deadLetter: string;
}

export interface EventContext {
  workspace: string;
  /** The envelope's receivedAt: when the backfill read the object. */
  receivedAt: Date;
  to: Destinations;
  /** The same bound as a webhook's (INGRESS_BODY_LIMIT_BYTES). */
  bodyLimitBytes: number;
  /** What the source is, for dead letters' details (the API and its range, the file). */
  from: string;
}

export type Outcome =
  | { kind: 'event'; eventId: string; requestId: string; message: OutgoingMessage }
  | { kind: 'dead-letter'; reason: string; message: OutgoingMessage };

/** A JSON value's kind, for messages. */
export const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);

export const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** The body a webhook would have carried; a file's line goes in as written, so nothing is re-serialised. */
export function backfillBody(item: { value: Record<string, unknown>; raw?: string }): string {
  return item.raw !== undefined
    ? `{"action":"${backfillAction}","request":${item.raw}}`
    : JSON.stringify({ action: backfillAction, request: item.value });
}

/** Why a request object has no time to be ordered by, or undefined when it has one. */
function missingSourceTime(request: Record<string, unknown>): string | undefined {
  if (isoMicros(request.updatedAt) !== null || isoMicros(request.createdAt) !== null) return undefined;
  const shown = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v).slice(0, 40));
  return (
    `neither updatedAt (${shown(request.updatedAt)}) nor createdAt (${shown(request.createdAt)}) is an ISO 8601 ` +
    `time with a zone: without a source time this snapshot could not be ordered against webhooks in ` +
    `request_latest (its event time would be the time it was read, and an old state would win)`
  );
}

export function deadLetter(
  ctx: EventContext,
  where: string,
  reason: string,
  problems: Problem[],
  raw: string,
): Outcome {
  const details = [{ path: '/', message: `read from ${where}, ${ctx.from}` }, ...problems];
  const message = deadLetterMessage({
    topic: ctx.to.deadLetter,
    source: deadLetterSource,
    reason,
    details,
    rawBody: raw,
    receivedAt: ctx.receivedAt,
    workspace: ctx.workspace,
  });
  return { kind: 'dead-letter', reason, message };
}

/** The event for one item read, or the dead letter that says why there is none. Never throws. */
export function outcomeOf(item: SourceItem, ctx: EventContext): Outcome {
  const { where } = item;
  if (item.kind === 'unreadable')
    return deadLetter(ctx, where, item.reason, [{ path: '/', message: item.message }], item.raw);
  const { value } = item;
  if (!isObject(value)) {
    const raw = item.raw ?? JSON.stringify(value);
    return deadLetter(
      ctx,
      where,
      'not_an_object',
      [{ path: '/', message: `a request must be a JSON object, not ${kindOf(value)}` }],
      raw,
    );
  }
  const body = backfillBody({ value, ...(item.raw !== undefined ? { raw: item.raw } : {}) });
  const size = Buffer.byteLength(body);
  if (size > ctx.bodyLimitBytes) {
    const why = `the body is ${size} bytes, over INGRESS_BODY_LIMIT_BYTES (${ctx.bodyLimitBytes}); rawBody holds its first ${keptOfTooLarge} bytes`;
    return deadLetter(ctx, where, 'too_large', [{ path: '/', message: why }], body.slice(0, keptOfTooLarge));
  }
  const result = classify(body);
  if (result.kind === 'rejected') return deadLetter(ctx, where, result.reason, result.details, body);
  const untimed = missingSourceTime(value);
  if (untimed)
    return deadLetter(ctx, where, 'no_source_time', [{ path: '/request/updatedAt', message: untimed }], body);
  return {
    kind: 'event',
    eventId: result.eventId,
    requestId: result.requestId,
    message: { topic: ctx.to.events, key: result.requestId, ...eventMessage(result, ctx.receivedAt, ctx.workspace) },
  };
}
