import { describe, expect, it } from 'vitest';
import { classifyPlatform, type PlatformAccepted } from './platform.js';
import { platformEnvelope } from './platform-envelope.js';
import { maxDepth, type Rejected } from './webhook.js';
import { platformEventSchema, type PlatformEventEnvelope } from '../../schemas/platform-event.schema.js';
import { comment, nested, platformBody, ticket } from '../../test/fixtures/platform-events.js';
import { Ajv } from 'ajv';

const accepted = (body: unknown): PlatformAccepted => {
  const r = classifyPlatform(typeof body === 'string' ? body : JSON.stringify(body));
  if (r.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(r)}`);
  return r;
};
const rejected = (body: unknown): Rejected => {
  const r = classifyPlatform(typeof body === 'string' ? body : JSON.stringify(body));
  if (r.kind !== 'rejected') throw new Error(`expected rejected, got ${JSON.stringify(r)}`);
  return r;
};

const created = platformBody('ticket:created', { ticket: ticket() });

describe('classifyPlatform: accepted events', () => {
  it("takes Thena's eventId as the identity and keys a ticket event by its ticket", () => {
    const raw = JSON.stringify(created);
    expect(classifyPlatform(raw)).toEqual({
      kind: 'accepted',
      eventId: 'evt-1',
      eventType: 'ticket:created',
      orgId: 'org-1',
      entityId: 'T1',
      timestamp: '2025-03-01T10:00:00.000Z',
      raw,
    });
  });

  it('reads the same event under `message`, and keeps the body as received', () => {
    const body = JSON.stringify(nested(created));
    const r = accepted(body);
    expect(r).toMatchObject({ eventId: 'evt-1', eventType: 'ticket:created', orgId: 'org-1', entityId: 'T1' });
    expect(r.raw).toBe(body);
  });

  it('accepts event types nobody has documented, and an event with no payload (keyed by its eventId)', () => {
    expect(accepted(platformBody('ticket:teleported', { ticket: { id: 'T9' } }))).toMatchObject({
      eventType: 'ticket:teleported',
      entityId: 'T9',
    });
    expect(accepted({ eventId: 'evt-2', eventType: 'ping' })).toEqual({
      kind: 'accepted',
      eventId: 'evt-2',
      eventType: 'ping',
      entityId: 'evt-2',
      raw: '{"eventId":"evt-2","eventType":"ping"}',
    });
  });

  it.each([
    ['ticket:updated: the ticket', { ticket: ticket({ id: 'T2' }), previousTicket: ticket() }, 'T2'],
    ['ticket:deleted: the deleted ticket', { previousTicket: ticket({ id: 'T3' }) }, 'T3'],
    ['a comment: its ticket (entityId)', { comment: comment() }, 'T1'],
    ['a comment on an account: the comment', { comment: comment({ entityType: 'account', entityId: 'A1' }) }, 'C1'],
    ['a comment on a ticket, entityType absent', { comment: comment({ entityType: undefined }) }, 'T1'],
    [
      'a comment with only a ticketId (documented as the ticket number): the comment',
      { comment: comment({ entityType: undefined, entityId: undefined, ticketId: '101' }) },
      'C1',
    ],
    ['a payload ticketId (the ticket number): the eventId', { ticketId: '101' }, 'evt-1'],
    ['a comment with no ticket: the comment', { comment: comment({ entityId: undefined }) }, 'C1'],
    ['a whole-number ticket id', { ticket: { id: 42 } }, '42'],
    ['no ticket, no comment: the eventId', { something: { id: 'x' } }, 'evt-1'],
    ['a blank ticket id: the eventId', { ticket: { id: ' ' } }, 'evt-1'],
  ])('keys %s', (_name, payload, entityId) => {
    expect(accepted(platformBody('ticket:updated', payload)).entityId).toBe(entityId);
  });

  it('does not take an untyped comment entity for a ticket outside ticket events', () => {
    const body = platformBody('account-task:comment:created', { comment: comment({ entityType: undefined }) });
    expect(accepted(body).entityId).toBe('C1');
  });

  it.each([
    ['account:updated', { account: { id: 'A1' } }, 'A1'],
    ['account:deleted', { previousAccount: { id: 'A2' } }, 'A2'],
    ['account-task:created', { accountTask: { id: 'AT1' } }, 'AT1'],
    ['user:created', { user: { id: 'U1' } }, 'U1'],
    ['organization:updated', {}, 'evt-1'],
  ])('keys %s by the entity its type names', (eventType, payload, entityId) => {
    expect(accepted(platformBody(eventType, payload)).entityId).toBe(entityId);
  });

  it('keeps a timestamp sent as Unix time, drops one of another type, and an orgId that is not a string', () => {
    expect(accepted(platformBody('t', {}, { timestamp: 1740823200000 })).timestamp).toBe(1740823200000);
    const r = accepted(platformBody('t', {}, { timestamp: { at: 1 }, orgId: 5 }));
    expect(r).not.toHaveProperty('timestamp');
    expect(r).not.toHaveProperty('orgId');
  });

  it('strips a byte-order mark', () => {
    expect(accepted(`\ufeff${JSON.stringify(created)}`).raw).toBe(JSON.stringify(created));
  });
});

describe('classifyPlatform: rejections', () => {
  it.each([
    ['not JSON', '{"eventId":', 'invalid_json', '/'],
    ['an array', '[1]', 'not_an_object', '/'],
    ['null', 'null', 'not_an_object', '/'],
    ['a prototype key', '{"eventId":"e","eventType":"t","payload":{"__proto__":{}}}', 'forbidden_key', '/'],
    [
      'too deep',
      `{"eventId":"e","eventType":"t","payload":${'['.repeat(maxDepth)}${']'.repeat(maxDepth)}}`,
      'too_deep',
      '/',
    ],
  ])('rejects %s', (_name, body, reason, path) => {
    const r = rejected(body);
    expect(r.reason).toBe(reason);
    expect(r.details.map((d) => d.path)).toEqual([path]);
    expect(r.raw).toBe(body);
  });

  it.each([
    ['no eventId', { eventId: undefined }, ['/eventId']],
    ['an empty eventId', { eventId: '' }, ['/eventId']],
    ['a blank eventId', { eventId: '   ' }, ['/eventId']],
    ['an eventId of 257 characters', { eventId: 'x'.repeat(257) }, ['/eventId']],
    ['an object eventId', { eventId: { id: 'e' } }, ['/eventId']],
    ['no eventType', { eventType: undefined }, ['/eventType']],
    ['a number eventType', { eventType: 7 }, ['/eventType']],
    ['neither', { eventId: undefined, eventType: undefined }, ['/eventId', '/eventType']],
  ])('rejects %s with missing_or_invalid_keys at its path', (_name, overrides, paths) => {
    const r = rejected(platformBody('ticket:created', {}, overrides));
    expect(r.reason).toBe('missing_or_invalid_keys');
    expect(r.details.map((d) => d.path).sort()).toEqual(paths);
    for (const d of r.details) expect(d.message).toMatch(/required: a non-blank string of at most 256 characters/);
  });

  it('rejects a number eventId, saying to send it as a string', () => {
    const r = rejected(platformBody('ticket:created', {}, { eventId: 12345 }));
    expect(r.details).toEqual([{ path: '/eventId', message: expect.stringMatching(/send it as a string/) }]);
  });

  it('reports the keys of an event under `message` at their paths there', () => {
    const r = rejected(nested(platformBody('ticket:created', {}, { eventId: undefined })));
    expect(r.details.map((d) => d.path)).toEqual(['/message/eventId']);
  });

  it('says so when `message` is a string rather than the event', () => {
    const r = rejected({ message: JSON.stringify(created) });
    expect(r.details.map((d) => d.path)).toEqual(['/eventId', '/eventType', '/message']);
    expect(r.details[2]!.message).toMatch(/must be an object/);
  });

  it('reads top-level keys first: a body with an eventType but no eventId is not looked for under message', () => {
    const r = rejected({ eventType: 'ticket:created', message: created });
    expect(r.details.map((d) => d.path)).toEqual(['/eventId']);
  });
});

describe('classifyPlatform: orgId, which names the workspace', () => {
  it.each(['org-1', 'org-acme', 'acme', 'EGHG8R3K9HGU98JJ81W5EKQRM2X9', '0b6c2a44-7e1f-4c3a-9d51-8a2f3e6b1c90'])(
    'accepts %s, a workspace name',
    (orgId) => {
      expect(accepted(platformBody('ticket:created', {}, { orgId })).orgId).toBe(orgId);
    },
  );

  it.each([
    ['at the top level', (b: Record<string, unknown>) => b, '/orgId'],
    ['under `message`', nested, '/message/orgId'],
  ])('rejects one that cannot name a workspace %s, naming the rule and the fix', (_where, shape, path) => {
    const r = rejected(shape(platformBody('ticket:created', {}, { orgId: 'Acme Corp' })));
    expect(r.reason).toBe('missing_or_invalid_keys');
    expect(r.details).toEqual([
      {
        path,
        message:
          `"Acme Corp" cannot name a workspace: an orgId must be 1 to 64 letters, digits, '_', '.' or '-', ` +
          "starting with a letter or digit; send the organisation's id as Thena gives it, or no orgId to file " +
          "the event under the token's workspace",
      },
    ]);
  });

  it('repeats at most 64 characters of a refused orgId, as JSON so that whitespace shows', () => {
    const long = rejected(platformBody('t', {}, { orgId: 'x'.repeat(100_000) }));
    expect(long.details[0]!.message).toMatch(new RegExp(`^"${'x'.repeat(64)}"… cannot`));
    expect(rejected(platformBody('t', {}, { orgId: 'org-1\t' })).details[0]!.message).toMatch(/^"org-1\\t" cannot/);
  });
});

describe('platformEnvelope', () => {
  const validate = new Ajv({ strict: false }).compile<PlatformEventEnvelope>(platformEventSchema);

  it('wraps the raw body, unchanged, in a valid envelope with the workspace and key', () => {
    const raw = JSON.stringify(nested(created), null, 2);
    const value = platformEnvelope(accepted(raw), new Date('2025-03-01T12:00:00.000Z'), 'acme');
    const envelope = JSON.parse(value);
    expect(validate(envelope)).toBe(true);
    expect(envelope).toEqual({
      schema: 'thena.platform-event.v1',
      eventId: 'evt-1',
      receivedAt: '2025-03-01T12:00:00.000Z',
      eventType: 'ticket:created',
      workspace: 'acme',
      entityId: 'T1',
      payload: nested(created),
    });
    expect(value.endsWith(`"payload":${raw}}`)).toBe(true);
  });
});
