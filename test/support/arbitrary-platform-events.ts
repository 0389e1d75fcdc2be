// fast-check arbitraries of platform events as the ingress receives them (arbitrary-bodies.ts has
// the request webhooks and the awkward text both are made of): ticket and comment events and
// others, at the top level or under `message`, with awkward values, unknown fields and long strings.
import fc from 'fast-check';
import { comment, nested, platformBody, ticket } from '../fixtures/platform-events.js';
import {
  awkwardText,
  deepValue,
  fill,
  GeneratedBody,
  html,
  isoTime,
  maybe,
  someLongText,
  unknownFields,
  type LongText,
} from './arbitrary-bodies.js';

type Obj = Record<string, unknown>;

const commentTypes = [
  'ticket:comment:created',
  'ticket:comment:added',
  'ticket:comment:updated',
  'ticket:comment:deleted',
];
const ticketTypes = [
  'ticket:created',
  'ticket:updated',
  'ticket:assigned',
  'ticket:status:changed',
  'ticket:archived',
  'ticket:deleted',
];

/** An id as Thena sends one: non-blank, at most 256 characters (the ingress refuses others). */
const platformId = fc.oneof(
  fc.uuid(),
  awkwardText({ lone: true }).map((t) => `e${t}`),
  fc.string({ minLength: 200, maxLength: 256 }).filter((s) => /\S/.test(s)),
);

const platformTime = fc.oneof(
  isoTime,
  fc.integer(),
  fc.double(),
  fc.constantFrom('1740830400', '1740830400000', 1740830400.5),
);

/** A ticket or comment with awkward values in the fields the flatteners read, and unknown fields. */
const ticketOverrides = fc.record(
  {
    title: maybe(awkwardText({ lone: true }), true),
    description: maybe(awkwardText({ maxLength: 80, lone: true }), true),
    statusName: maybe(awkwardText({ lone: true }), true),
    status: maybe(fc.record({ uid: awkwardText(), name: awkwardText({ lone: true }) }), true),
    priority: maybe(awkwardText(), true),
    tags: maybe(fc.array(awkwardText({ lone: true }), { maxLength: 6 }), true),
    customFields: deepValue(true),
    assignedAgent: maybe(
      fc.oneof(fc.record({ id: platformId, email: awkwardText(), name: awkwardText() }), awkwardText()),
      true,
    ),
    createdAt: platformTime,
    isArchived: maybe(fc.boolean()),
    id: platformId,
  },
  { requiredKeys: [] },
);
const commentOverrides = fc.record(
  {
    content: maybe(awkwardText({ maxLength: 80, lone: true }), true),
    contentHtml: maybe(html, true),
    contentMarkdown: maybe(awkwardText({ lone: true }), true),
    author: maybe(fc.oneof(awkwardText(), fc.record({ id: platformId, name: awkwardText({ lone: true }) })), true),
    entityId: platformId,
    metadata: deepValue(true),
    deletedAt: platformTime,
  },
  { requiredKeys: [] },
);

type PlatformPlace = 'ticket description' | 'comment content' | 'comment html' | 'tags' | 'unknown' | 'timestamp';
const platformPlaces: PlatformPlace[] = [
  'ticket description',
  'comment content',
  'comment html',
  'tags',
  'unknown',
  'timestamp',
];

/** A platform event: a ticket or comment event (or another type), at the top level or under `message`. */
export const platformEventBody = (limit: number): fc.Arbitrary<GeneratedBody> =>
  fc
    .record({
      eventType: fc.oneof(
        fc.constantFrom(...commentTypes, ...ticketTypes, 'account:updated'),
        awkwardText({ lone: true }).map((t) => `x${t}`),
      ),
      eventId: platformId,
      envelope: fc.record(
        {
          timestamp: platformTime,
          orgId: fc.oneof({ weight: 6, arbitrary: fc.constant('acme') }, { weight: 1, arbitrary: awkwardText() }),
          actor: maybe(fc.record({ id: platformId, type: awkwardText(), email: awkwardText({ lone: true }) }), true),
        },
        { requiredKeys: [] },
      ),
      ticket: ticketOverrides,
      comment: commentOverrides,
      unknown: unknownFields(true),
      wrapped: fc.boolean(),
      long: someLongText(limit),
      place: fc.constantFrom(...platformPlaces),
    })
    .map((spec) => {
      const build = (n: number) => JSON.stringify(platformEvent(spec, spec.long ? spec.long.chunk.repeat(n) : '', n));
      const text = spec.long ? fill(build, Math.min(spec.long.bytes, limit)) : build(0);
      return new GeneratedBody(text, `platform ${spec.eventType}${spec.long ? `, long ${spec.place}` : ''}`);
    });

interface PlatformSpec {
  eventType: string;
  eventId: string;
  envelope: Obj;
  ticket: Obj;
  comment: Obj;
  unknown: Obj;
  wrapped: boolean;
  long: LongText | undefined;
  place: PlatformPlace;
}

function platformEvent(spec: PlatformSpec, s: string, n: number): Obj {
  const long = spec.long ? spec.place : undefined;
  const t = ticket({
    ...spec.ticket,
    ...(long === 'ticket description' ? { description: s } : {}),
    ...(long === 'tags' ? { tags: Array<string>(n).fill(spec.long!.chunk) } : {}),
  });
  const c = comment({
    ...spec.comment,
    ...(long === 'comment content' ? { content: s } : {}),
    ...(long === 'comment html' ? { contentHtml: s } : {}),
  });
  const payload: Obj = commentTypes.includes(spec.eventType)
    ? { comment: c, ...(spec.eventType.endsWith('updated') ? { previousComment: comment() } : {}) }
    : spec.eventType === 'ticket:deleted'
      ? { previousTicket: t }
      : spec.eventType.startsWith('ticket:')
        ? { ticket: t }
        : { account: { id: 'acc-1', ...spec.unknown } };
  if (long === 'unknown') payload['données'] = [{ deep: { text: s } }];
  const body = platformBody(spec.eventType, payload, {
    ...spec.unknown,
    ...spec.envelope,
    ...(long === 'timestamp' ? { timestamp: s } : {}),
    eventId: spec.eventId,
  });
  return spec.wrapped ? nested(body) : body;
}
