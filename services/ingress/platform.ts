// Pure logic of the platform-event ingress: from a raw body to an accepted event (Thena's eventId
// and eventType, the Kafka key) or a rejection, with the reasons and answer shape of the request
// webhook (webhook.ts). No I/O; see platform.test.ts. What a platform body is, and how its key is
// found, is schemas/thena-platform-webhook.schema.ts.
import { Ajv, type ErrorObject } from 'ajv';
import {
  entityIdOf,
  locateEvent,
  maxIdLength,
  platformKeysSchema,
  type LocatedEvent,
  type PlatformEventKeys,
} from '../../schemas/thena-platform-webhook.schema.js';
import { workspacePattern } from '../../schemas/workspace.js';
import { parseBody, type Problem, type Rejected } from './webhook.js';

export interface PlatformAccepted {
  kind: 'accepted';
  /** Thena's eventId, as sent: the event's identity (a repeat delivery carries the same). */
  eventId: string;
  eventType: string;
  /** Thena's orgId, when a non-blank string; always a usable workspace name (see orgIdProblems). */
  orgId?: string;
  /** The Kafka key: the ticket the event is about, else its comment or entity, else the eventId. */
  entityId: string;
  /** The event's timestamp as sent (ISO 8601 or Unix time), when a string or a number. */
  timestamp?: string | number;
  /** The body as received (less a byte-order mark), embedded as-is in the envelope. */
  raw: string;
}

const validate = new Ajv({ allErrors: true, strict: true }).compile<PlatformEventKeys>(platformKeysSchema);

type Key = 'eventId' | 'eventType';

/** The keying member an ajv error is about. */
const keyOf = (e: ErrorObject): Key =>
  (e.keyword === 'required' ? e.params.missingProperty : e.instancePath.slice(1)) as Key;

/** One message per keying member, whichever way it failed (absent, wrong type, blank, too long). */
function keyMessage(key: Key, value: unknown): string {
  if (key === 'eventId' && typeof value === 'number') {
    return 'a number; Thena sends eventId as a string, and a number may have lost digits when read: send it as a string';
  }
  const what = key === 'eventId' ? "Thena's id of the event" : 'the type of the event, such as ticket:created';
  return `required: a non-blank string of at most ${maxIdLength} characters, ${what}`;
}

/** Why a body whose keys cannot be read was rejected, at the paths where its keys were looked for. */
function keyProblems(body: Record<string, unknown>, { event, path }: LocatedEvent): Problem[] {
  if (validate(event)) return [];
  const keys = new Set((validate.errors ?? []).map(keyOf));
  const problems = [...keys].map((key) => ({ path: `${path}/${key}`, message: keyMessage(key, event[key]) }));
  // Neither key at the top level, and a `message` that may be the event serialised as text.
  if (path === '' && !('eventId' in body) && !('eventType' in body) && typeof body.message === 'string') {
    problems.push({ path: '/message', message: 'a string; the event under message must be an object' });
  }
  return problems;
}

/** How much of a refused orgId the answer repeats. */
const shownLength = 64;

/**
 * Why the orgId cannot be the event's workspace, if it cannot: with a bare token it names the
 * workspace, which is in every row's fact key and never cut to fit a BigQuery row, so it is held to
 * what a workspace name may be. An orgId that is absent, blank or not a string names none (the
 * token's workspace is used). Shown as a JSON string, so a stray space or newline is visible.
 */
function orgIdProblems({ event, path }: LocatedEvent): Problem[] {
  const { orgId } = event;
  if (typeof orgId !== 'string' || !/\S/.test(orgId) || workspacePattern.test(orgId)) return [];
  const shown = JSON.stringify(orgId.slice(0, shownLength)) + (orgId.length > shownLength ? '…' : '');
  const message =
    `${shown} cannot name a workspace: an orgId must be 1 to 64 letters, digits, '_', '.' or '-', ` +
    "starting with a letter or digit; send the organisation's id as Thena gives it, or no orgId to " +
    "file the event under the token's workspace";
  return [{ path: `${path}/orgId`, message }];
}

/** Classifies a raw platform-event body. Never throws. */
export function classifyPlatform(rawBody: string): PlatformAccepted | Rejected {
  const read = parseBody(rawBody);
  if ('kind' in read) return read;
  const { raw, parsed: body } = read;
  const located = locateEvent(body);
  const problems = [...keyProblems(body, located), ...orgIdProblems(located)];
  if (problems.length > 0) return { kind: 'rejected', reason: 'missing_or_invalid_keys', details: problems, raw };
  return accepted(located.event as Record<string, unknown> & PlatformEventKeys, raw);
}

function accepted(event: Record<string, unknown> & PlatformEventKeys, raw: string): PlatformAccepted {
  const { eventId, eventType, orgId, timestamp } = event;
  return {
    kind: 'accepted',
    eventId,
    eventType,
    ...(typeof orgId === 'string' && /\S/.test(orgId) ? { orgId } : {}),
    entityId: entityIdOf(eventType, event.payload, eventId),
    ...(typeof timestamp === 'string' || (typeof timestamp === 'number' && Number.isFinite(timestamp))
      ? { timestamp }
      : {}),
    raw,
  };
}
