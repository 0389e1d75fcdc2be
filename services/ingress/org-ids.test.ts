// A platform event's orgId names its workspace (with a bare token), so it must be a usable
// workspace name: one that is not is refused with 400, its body on the dead-letter topic like every
// 400, so a redrive can bring it back. Through app.inject with an in-memory transport; the rule
// itself is orgIdProblems in platform.ts, tested in platform.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createLogger } from '../shared/logger.js';
import { createRegistry } from '../shared/metrics.js';
import { parseConfig } from '../shared/config.js';
import { MemoryTransport } from '../../test/support/memory-transport.js';
import { nested, platformBody, ticket } from '../../test/fixtures/platform-events.js';
import { topics } from '../../schemas/topics.js';

const acmeToken = 'Bearer acme-secret-1';
const bareToken = 'Bearer bare-secret-2';
/** The ingress's default body limit (INGRESS_BODY_LIMIT_BYTES). */
const bodyLimit = 4 * 1024 * 1024;
let app: FastifyInstance;
let transport: MemoryTransport;
let registry: ReturnType<typeof createRegistry>;

async function start() {
  transport = new MemoryTransport();
  registry = createRegistry('ingress');
  app = await buildApp({
    config: parseConfig({ INGRESS_AUTH_TOKENS: `acme=${acmeToken},${bareToken}`, INGRESS_SPOOL_MAX_BYTES: '0' }),
    logger: createLogger('ingress', { LOG_LEVEL: 'silent' }),
    registry,
    transport,
  });
}

afterEach(async () => {
  await app?.close();
});

const event = (orgId: unknown) =>
  JSON.stringify(platformBody('ticket:created', { ticket: ticket() }, { eventId: 'evt-org', orgId }));

const sendPlatform = (body: string, authorization = bareToken) =>
  app.inject({
    method: 'POST',
    url: '/webhooks/thena/platform',
    payload: body,
    headers: { 'content-type': 'application/json', authorization },
  });

const sent = () => transport.sent.map((m) => ({ topic: m.topic, value: JSON.parse(m.value) }));
const rule = /cannot name a workspace: an orgId must be 1 to 64 letters, digits, '_', '\.' or '-'/;

describe('a platform event whose orgId can name a workspace', () => {
  it.each([
    ["the fixtures' orgId", 'org-1'],
    ['an id shaped as Thena shows its ids', 'EGHG8R3K9HGU98JJ81W5EKQRM2X9'],
    ['a UUID', '0b6c2a44-7e1f-4c3a-9d51-8a2f3e6b1c90'],
    ['dots and underscores', 'acme.eu_2'],
    ['64 characters', 'a'.repeat(64)],
  ])('is accepted (202) in that workspace: %s', async (_case, orgId) => {
    await start();
    const res = await sendPlatform(event(orgId));
    expect(res.statusCode).toBe(202);
    expect(sent().map((m) => [m.topic, m.value.workspace])).toEqual([[topics.platformEvents.name, orgId]]);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['not a string', 42],
  ])("names no workspace when %s: the token's is used", async (_case, orgId) => {
    await start();
    expect((await sendPlatform(event(orgId))).statusCode).toBe(202);
    expect(sent().map((m) => m.value.workspace)).toEqual(['default']);
  });
});

describe('a platform event whose orgId cannot name a workspace', () => {
  it.each([
    ['a space', 'acme corp'],
    ['a slash', 'org/1'],
    ['a path', '../../etc'],
    ['a colon', 'org:1'],
    ['a leading dash', '-org'],
    ['65 characters', 'a'.repeat(65)],
    ['a letter outside ASCII', 'Ümlaut'],
    ['a leading space', ' org-1'],
    ['a trailing newline', 'org-1\n'],
  ])('is refused with 400 at /orgId, its body on the dead-letter topic: %s', async (_case, orgId) => {
    await start();
    const body = event(orgId);
    const res = await sendPlatform(body);
    expect(res.statusCode).toBe(400);
    const details = [{ path: '/orgId', message: expect.stringMatching(rule) }];
    expect(res.json()).toEqual({ error: 'invalid_payload', details });
    expect(res.json().details[0].message).toContain(JSON.stringify(orgId.slice(0, 64)));
    expect(sent()).toEqual([
      {
        topic: topics.deadLetter.name,
        value: expect.objectContaining({
          source: 'ingress',
          reason: 'missing_or_invalid_keys',
          details,
          rawBody: body,
        }),
      },
    ]);
    expect(await registry.metrics()).toContain(
      'thena_ingress_rejected_total{reason="missing_or_invalid_keys",service="ingress"} 1',
    );
  });

  it('is refused at /message/orgId when the event is under `message`', async () => {
    await start();
    const res = await sendPlatform(JSON.stringify(nested(JSON.parse(event('acme corp')))));
    expect(res.statusCode).toBe(400);
    expect(res.json().details).toEqual([{ path: '/message/orgId', message: expect.stringMatching(rule) }]);
  });

  it('is refused with the missing eventId too, both named', async () => {
    await start();
    const body = JSON.stringify(platformBody('ticket:created', {}, { eventId: undefined, orgId: 'acme corp' }));
    const res = await sendPlatform(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().details.map((d: { path: string }) => d.path)).toEqual(['/eventId', '/orgId']);
  });

  it("is a 400, not a 403, with a bound token: no token could write it; the dead letter is the token's", async () => {
    await start();
    const res = await sendPlatform(event('acme corp'), acmeToken);
    expect(res.statusCode).toBe(400);
    expect(sent().map((m) => [m.topic, m.value.workspace])).toEqual([[topics.deadLetter.name, 'acme']]);
  });

  it('is refused when it fills a body at the 4 MiB limit, the answer short and the whole body dead-lettered', async () => {
    await start();
    const sized = (n: number) => event('o'.repeat(n));
    const body = sized(bodyLimit - Buffer.byteLength(sized(0)));
    expect(Buffer.byteLength(body)).toBe(bodyLimit);

    const res = await sendPlatform(body);
    expect(res.statusCode).toBe(400);
    expect(res.body.length).toBeLessThan(1_000);
    expect(res.json().details).toEqual([
      { path: '/orgId', message: expect.stringContaining(`"${'o'.repeat(64)}"… cannot name a workspace`) },
    ]);
    const [dlq] = sent();
    expect(dlq?.topic).toBe(topics.deadLetter.name);
    expect(dlq?.value.rawBody).toBe(body);
    expect(transport.sent.some((m) => m.topic === topics.platformEvents.name)).toBe(false);

    // One byte more is over the limit: 413, as for any body.
    expect((await sendPlatform(sized(bodyLimit - Buffer.byteLength(sized(0)) + 1))).statusCode).toBe(413);
  });
});
