// Thena's platform events (docs.thena.ai, "Platform events"), as far as the pipeline relies on
// them: the ingress (services/ingress/platform.ts) and the platform tables (tables/platform/) read
// bodies through this file, so both agree on what identifies an event and what it is about.
//
// Thena documents an envelope sent at the top level: eventId, eventType ("ticket:created", …),
// timestamp (an ISO string or Unix time), orgId, actor {id, type, email}, payload, metadata. One of
// its pages (workflow events) shows the same envelope under `message`; both shapes are read. Only
// eventId and eventType are enforced: eventId is the event's identity (Thena asks receivers to be
// idempotent on it), eventType routes it, and types not listed anywhere are accepted; and an orgId,
// when given, must be a workspace name, since it becomes one (services/ingress/platform.ts).
// Everything else is read where it is found and kept whole; payload shapes are only partly documented.
import type { FromSchema } from 'json-schema-to-ts';

/** Longest eventId, eventType or entity id taken: they become keys, columns and answers. */
export const maxIdLength = 256;

const nonBlank = { type: 'string', minLength: 1, maxLength: maxIdLength, pattern: '\\S' } as const;

/** What keys a platform event; the event object is found with locateEvent. */
export const platformKeysSchema = {
  $id: 'thena-lake/thena-platform-event-keys',
  type: 'object',
  required: ['eventId', 'eventType'],
  properties: {
    eventId: {
      ...nonBlank,
      description:
        "Thena's id of the event, a string. A number is refused: Thena sends strings, and a number past 2^53 - 1 would be an id that lost digits.",
    },
    eventType: { ...nonBlank, description: 'ticket:created, ticket:comment:deleted, …; any value is accepted.' },
  },
} as const;

export type PlatformEventKeys = FromSchema<typeof platformKeysSchema>;

const asRecord = (v: unknown): Record<string, unknown> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

export interface LocatedEvent {
  /** The envelope: eventId, eventType, timestamp, orgId, actor, payload, metadata. */
  event: Record<string, unknown>;
  /** JSON pointer of the envelope in the body: '' (top level) or '/message'. */
  path: '' | '/message';
}

/**
 * The envelope is the body itself when the body has an eventId or an eventType member, else the
 * body's `message` object when it has one, else the body (whose missing members are then reported
 * at the top level).
 */
export function locateEvent(body: Record<string, unknown>): LocatedEvent {
  if ('eventId' in body || 'eventType' in body) return { event: body, path: '' };
  const message = asRecord(body.message);
  return message ? { event: message, path: '/message' } : { event: body, path: '' };
}

/** An id as Thena sends one: a non-blank string (kept as sent), or a whole number as its decimal text. */
export function idText(v: unknown): string | null {
  if (typeof v === 'string') return /\S/.test(v) && v.length <= maxIdLength ? v : null;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return null;
}

/** An id read from a payload, with the path it was read from (so a reading Thena left open stays visible). */
export interface IdRef {
  id: string;
  path: string;
}

/** Where a comment event may hold its comment: the current state first, the previous one last. */
export const commentKeys = ['comment', 'updatedComment', 'previousComment'] as const;

/**
 * A comment's ticket: its entityId when its entityType is "ticket", or when it has no entityType
 * and the event is a ticket event (ticket:comment:*). An account task's comment is not a ticket's.
 */
function commentTicketRef(eventType: string, comment: Record<string, unknown>, key: string): IdRef | null {
  const { entityType } = comment;
  const untyped = entityType === undefined || entityType === null;
  const onTicket =
    typeof entityType === 'string' ? /^ticket$/i.test(entityType) : untyped && eventType.startsWith('ticket:');
  const id = onTicket ? idText(comment.entityId) : null;
  return id ? { id, path: `payload.${key}.entityId` } : null;
}

/**
 * The ticket an event is about, in this order: `payload.ticket.id` (documented), then
 * `payload.previousTicket.id` (ticket:deleted carries only that), then a comment's `entityId`
 * (see commentTicketRef; not documented for events, hence the path kept with the id). A member
 * named `ticketId` is never read as the ticket: Thena documents `ticketId` as the ticket's
 * human-readable number, which would make a second ticket of the same one.
 */
export function ticketRefOf(eventType: string, payload: unknown): IdRef | null {
  const p = asRecord(payload);
  if (!p) return null;
  for (const key of ['ticket', 'previousTicket']) {
    const id = idText(asRecord(p[key])?.id);
    if (id) return { id, path: `payload.${key}.id` };
  }
  for (const key of commentKeys) {
    const comment = asRecord(p[key]);
    const ref = comment ? commentTicketRef(eventType, comment, key) : null;
    if (ref) return ref;
  }
  return null;
}

/** The id of the comment a comment event is about: `payload.comment.id`, else the updated or previous comment's. */
export function commentIdOf(payload: unknown): string | null {
  const p = asRecord(payload);
  for (const key of commentKeys) {
    const id = idText(asRecord(p?.[key])?.id);
    if (id) return id;
  }
  return null;
}

/** "account-task:comment:created" -> "accountTask": the payload member that names the entity. */
const entityKey = (eventType: string) =>
  (eventType.split(':')[0] ?? '').replace(/[-_]+([a-z0-9])/gi, (_m, c: string) => c.toUpperCase());

/**
 * The Kafka key of an event, so that one entity's events stay in order: its ticket (a comment's
 * events go with their ticket's), else its comment, else the entity its type names
 * (`payload.account.id` for account:updated, or `previousAccount`), else the eventId itself (an
 * event about nothing that can be found is ordered on its own).
 */
export function entityIdOf(eventType: string, payload: unknown, eventId: string): string {
  const ticket = ticketRefOf(eventType, payload)?.id;
  if (ticket) return ticket;
  const comment = commentIdOf(payload);
  if (comment) return comment;
  const p = asRecord(payload);
  const key = entityKey(eventType);
  if (p && key) {
    const previous = `previous${key.charAt(0).toUpperCase()}${key.slice(1)}`;
    const id = idText(asRecord(p[key])?.id) ?? idText(asRecord(p[previous])?.id);
    if (id) return id;
  }
  return eventId;
}

const textOrNull = { type: ['string', 'null'] } as const;
const idOrNull = { type: ['string', 'integer', 'null'] } as const;
const named = {
  type: ['string', 'object', 'null'],
  properties: { uid: idOrNull, id: idOrNull, name: textOrNull },
  additionalProperties: true,
} as const;
const party = {
  type: ['object', 'null'],
  properties: { id: idOrNull, email: textOrNull, name: textOrNull, type: textOrNull },
  additionalProperties: true,
} as const;

/** A ticket as the platform tables read it (tables/platform/ticket.ts); other members are Thena's to add. */
const documentedTicket = {
  type: ['object', 'null'],
  additionalProperties: true,
  properties: {
    id: idOrNull,
    ticketId: idOrNull,
    title: textOrNull,
    description: textOrNull,
    statusId: idOrNull,
    statusName: textOrNull,
    status: named,
    priorityId: idOrNull,
    priorityName: textOrNull,
    priority: named,
    sentimentName: textOrNull,
    sentiment: named,
    typeName: textOrNull,
    type: named,
    source: textOrNull,
    teamId: idOrNull,
    teamName: textOrNull,
    team: party,
    subTeamId: idOrNull,
    subTeamName: textOrNull,
    assignedAgent: { ...party, type: ['object', 'string', 'null'] },
    assignedAgentId: idOrNull,
    assignedAgentEmail: textOrNull,
    assignedTo: idOrNull,
    customer: party,
    customerId: idOrNull,
    customerContactEmail: textOrNull,
    isEscalated: { type: ['boolean', 'null'] },
    isArchived: { type: ['boolean', 'null'] },
    tags: { type: ['array', 'null'], items: { type: 'string' } },
    aiGeneratedTitle: textOrNull,
    aiGeneratedSummary: textOrNull,
    createdAt: { type: ['string', 'integer', 'null'] },
    updatedAt: { type: ['string', 'integer', 'null'] },
  },
} as const;

/** A comment as ticket_comments reads it (tables/platform/comment.ts). */
const documentedComment = {
  type: ['object', 'null'],
  additionalProperties: true,
  properties: {
    id: idOrNull,
    entityId: idOrNull,
    entityType: textOrNull,
    author: { ...party, type: ['object', 'string', 'null'] },
    authorId: idOrNull,
    authorEmail: textOrNull,
    authorUserType: textOrNull,
    parentCommentId: idOrNull,
    customerContactId: idOrNull,
    customerContactEmail: textOrNull,
    commentType: textOrNull,
    commentVisibility: textOrNull,
    content: textOrNull,
    contentHtml: textOrNull,
    contentMarkdown: textOrNull,
    createdAt: { type: ['string', 'integer', 'null'] },
    updatedAt: { type: ['string', 'integer', 'null'] },
    deletedAt: { type: ['string', 'integer', 'null'] },
  },
} as const;

/**
 * Thena's platform event as documented, for payload drift only (tables/drift/): nothing here is
 * enforced. The envelope is closed (a member it does not name is `unknown`); the payload is only
 * partly documented, so its members and the ticket's and comment's are judged by type where the
 * tables read them, and other members are not `unknown`.
 */
export const platformDocumentedSchema = {
  type: 'object',
  properties: {
    eventId: { type: 'string' },
    eventType: { type: 'string' },
    timestamp: { type: ['string', 'number'] },
    orgId: textOrNull,
    actor: party,
    payload: {
      type: ['object', 'null'],
      additionalProperties: true,
      properties: {
        ticket: documentedTicket,
        previousTicket: documentedTicket,
        ...Object.fromEntries(commentKeys.map((k) => [k, documentedComment])),
      },
    },
    metadata: { type: ['object', 'null'] },
  },
} as const;

/** Members every platform event is expected to have (payload drift's `missing`), in the event found by locateEvent. */
export const platformExpectedFields: readonly string[] = [
  'eventId',
  'eventType',
  'timestamp',
  'orgId',
  'actor',
  'payload',
];
