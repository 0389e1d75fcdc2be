// A token bound to a workspace (`workspace=token`) writes only into that workspace: a platform event
// naming another orgId is refused with 403 and stored nowhere. Through app.inject with an in-memory
// transport; the rule itself is platformWorkspace (auth.ts), tested in auth.test.ts.
import { Writable } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createLogger } from '../shared/logger.js';
import { createRegistry } from '../shared/metrics.js';
import { parseConfig } from '../shared/config.js';
import { MemoryTransport } from '../../test/support/memory-transport.js';
import { platformBody, ticket } from '../../test/fixtures/platform-events.js';
import { seedBody } from '../../test/fixtures/webhooks.js';
import { topics } from '../../schemas/topics.js';

const acmeToken = 'Bearer acme-secret-1';
const bareToken = 'Bearer bare-secret-2';
const tokens = `acme=${acmeToken},${bareToken}`;
let app: FastifyInstance;
let transport: MemoryTransport;
let logs: string[];
let registry: ReturnType<typeof createRegistry>;

async function start(env: Record<string, string> = {}) {
  transport = new MemoryTransport();
  logs = [];
  const stream = new Writable({ write: (c: Buffer, _e, done) => (logs.push(c.toString()), done()) });
  registry = createRegistry('ingress');
  app = await buildApp({
    config: parseConfig({ INGRESS_AUTH_TOKENS: tokens, INGRESS_SPOOL_MAX_BYTES: '0', ...env }),
    logger: createLogger('ingress', { LOG_LEVEL: 'info' }, stream),
    registry,
    transport,
  });
}

afterEach(async () => {
  await app?.close();
});

const event = (orgId: string | undefined) =>
  JSON.stringify(platformBody('ticket:created', { ticket: ticket() }, { eventId: 'evt-bound', orgId }));

const sendPlatform = (body: string, authorization: string) =>
  app.inject({
    method: 'POST',
    url: '/webhooks/thena/platform',
    payload: body,
    headers: { 'content-type': 'application/json', authorization },
  });

const workspacesSent = () => transport.sent.map((m) => [m.topic, JSON.parse(m.value).workspace]);
const forbiddenCount = async () =>
  /thena_ingress_requests_total\{outcome="forbidden",service="ingress"\} (\d+)/.exec(await registry.metrics())?.[1];

describe('a token bound to a workspace', () => {
  it('is refused with 403, counted, and nothing is stored, when the event names another orgId', async () => {
    await start();
    const res = await sendPlatform(event('globex'), acmeToken);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      error: 'forbidden',
      message:
        "the token is bound to workspace 'acme' but the event names orgId 'globex'; " +
        "send it with a token bound to 'globex' or a bare token",
    });
    expect(transport.sent).toEqual([]);
    expect(await forbiddenCount()).toBe('1');
    expect(res.body + logs.join('')).not.toContain('acme-secret');
    expect(logs.join('')).toContain('webhook forbidden');
  });

  it('spools nothing when refused, even while Kafka is away and the spool would take the event', async () => {
    await start({
      INGRESS_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'ingress-spool-')),
      INGRESS_SPOOL_MAX_BYTES: '1048576',
      INGRESS_PUBLISH_TIMEOUT_MS: '100',
    });
    transport.mode = 'fail';
    expect((await sendPlatform(event('globex'), acmeToken)).statusCode).toBe(403);
    expect(await registry.metrics()).toContain('thena_ingress_spool_records{service="ingress"} 0');
  });

  it.each([
    ['names the same orgId', 'acme'],
    ['names no orgId', undefined],
  ])('is accepted (202) in its own workspace when the event %s', async (_case, orgId) => {
    await start();
    const res = await sendPlatform(event(orgId), acmeToken);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'accepted', eventId: 'evt-bound' });
    expect(workspacesSent()).toEqual([[topics.platformEvents.name, 'acme']]);
    expect(await forbiddenCount()).toBeUndefined();
  });

  it("puts a request webhook in the token's workspace, whatever its body holds (it names none)", async () => {
    await start();
    const body = JSON.parse(seedBody);
    body.orgId = 'globex';
    body.workspace = 'globex';
    body.request.orgId = 'globex';
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/thena',
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json', authorization: acmeToken },
    });
    expect(res.statusCode).toBe(202);
    expect(workspacesSent()).toEqual([[topics.requestEvents.name, 'acme']]);
  });
});

describe('a bare token', () => {
  it.each(['globex', 'acme', 'default'])("lets the orgId decide: an event naming '%s' is stored there", async (org) => {
    await start();
    const res = await sendPlatform(event(org), bareToken);
    expect(res.statusCode).toBe(202);
    expect(workspacesSent()).toEqual([[topics.platformEvents.name, org]]);
  });

  it("stores an event naming no orgId as 'default'", async () => {
    await start();
    expect((await sendPlatform(event(undefined), bareToken)).statusCode).toBe(202);
    expect(workspacesSent()).toEqual([[topics.platformEvents.name, 'default']]);
  });

  it('lets the orgId decide when no token is configured', async () => {
    await start({ INGRESS_AUTH_TOKENS: '' });
    expect((await sendPlatform(event('globex'), 'anything')).statusCode).toBe(202);
    expect(workspacesSent()).toEqual([[topics.platformEvents.name, 'globex']]);
  });
});
