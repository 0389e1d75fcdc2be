// The HTTP contract of the ingress, through app.inject with an in-memory transport.
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
import { seedBody, webhook } from '../../test/fixtures/webhooks.js';
import { topics } from '../../schemas/topics.js';

const token = 'Bearer test-token-1';
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
    // No spool unless a test asks for one: these tests are about the answers without it.
    config: parseConfig({ INGRESS_AUTH_TOKENS: `${token},Bearer test-token-2`, INGRESS_SPOOL_MAX_BYTES: '0', ...env }),
    logger: createLogger('ingress', { LOG_LEVEL: 'info' }, stream),
    registry,
    transport,
  });
  return app;
}

const post = (body: string, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/webhooks/thena',
    payload: body,
    headers: { 'content-type': 'application/json', authorization: token, ...headers },
  });

afterEach(async () => {
  await app?.close();
});

describe('POST /webhooks/thena', () => {
  it('answers 202 with the eventId after publishing the contract envelope keyed by request_id', async () => {
    await start();
    const res = await post(seedBody);
    expect(res.statusCode).toBe(202);
    const { status, eventId } = res.json();
    expect(status).toBe('accepted');
    expect(eventId).toMatch(/^[0-9a-f]{32}$/);

    expect(transport.sent).toHaveLength(1);
    const [message] = transport.sent;
    expect(message).toMatchObject({ topic: topics.requestEvents.name, key: '42' });
    const envelope = JSON.parse(message!.value);
    expect(Object.keys(envelope)).toEqual(['schema', 'eventId', 'receivedAt', 'action', 'requestId', 'payload']);
    expect(envelope).toMatchObject({ schema: 'thena.request-event.v1', eventId, action: 'UPDATE', requestId: '42' });
    expect(new Date(envelope.receivedAt).toISOString()).toBe(envelope.receivedAt);
    expect(envelope.payload).toEqual(JSON.parse(seedBody));
  });

  it('gives the same eventId to the same body, and counts the second as a duplicate', async () => {
    await start();
    const a = (await post(seedBody)).json().eventId;
    const b = (await post(JSON.stringify(JSON.parse(seedBody)))).json().eventId;
    expect(b).toBe(a);
    expect(await registry.metrics()).toContain('thena_ingress_requests_total{outcome="duplicate",service="ingress"} 1');
  });

  it('keeps fields of the wrong type, records them in the envelope and counts them', async () => {
    await start();
    const res = await post(JSON.stringify(webhook({ replyCount: '8' })));
    expect(res.statusCode).toBe(202);
    const envelope = JSON.parse(transport.sent[0]!.value);
    expect(envelope.payload.request.replyCount).toBe('8');
    expect(envelope.fieldProblems).toEqual([{ path: '/request/replyCount', message: 'must be integer,null' }]);
    expect(await registry.metrics()).toContain(
      'thena_ingress_field_problems_total{field="replyCount",service="ingress"} 1',
    );
  });

  it.each([
    ['no authorization header', undefined],
    ['a wrong token', 'Bearer nope'],
  ])('answers 401 and stores nothing for %s', async (_name, authorization) => {
    await start();
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/thena',
      payload: seedBody,
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'unauthorized' });
    expect(transport.sent).toHaveLength(0);
  });

  it('accepts either configured token, so a token can be rotated', async () => {
    await start();
    expect((await post(seedBody, { authorization: 'Bearer test-token-2' })).statusCode).toBe(202);
  });

  it("puts the workspace of a workspace=token item on the event and on a rejected body's record", async () => {
    await start({ INGRESS_AUTH_TOKENS: `acme=${token},globex=Bearer g` });
    expect((await post(seedBody)).statusCode).toBe(202);
    expect((await post(seedBody, { authorization: 'Bearer g' })).statusCode).toBe(202);
    expect((await post('{"action":', { authorization: 'Bearer g' })).statusCode).toBe(400);
    expect((await post(seedBody, { authorization: `acme=${token}` })).statusCode).toBe(401);
    const [acme, globex, rejected] = transport.sent.map((m) => JSON.parse(m.value));
    expect(acme).toMatchObject({ workspace: 'acme', requestId: '42' });
    expect(globex).toMatchObject({ workspace: 'globex', eventId: acme.eventId });
    expect(rejected).toMatchObject({ source: 'ingress', workspace: 'globex' });
  });

  it('never writes the authorization header or a token to the logs or the metrics', async () => {
    await start();
    await post(seedBody);
    await post(seedBody, { authorization: 'Bearer wrong-secret' });
    const all = logs.join('');
    expect(all).not.toContain('test-token');
    expect(all).not.toContain('wrong-secret');
    expect(all).toContain('webhook accepted');
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('thena_ingress_requests_total');
    expect(metrics).not.toContain('test-token');
    expect(metrics).not.toContain('wrong-secret');
  });

  it('answers 400 with {path, message} details and puts the raw body on the dead-letter topic', async () => {
    await start();
    const body = '{"action":"UPDATE","request":{"status":"OPEN"}}';
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: 'invalid_payload',
      details: [
        { path: '/request/requestId', message: 'required: a non-negative integer or a string of decimal digits' },
      ],
    });
    expect(transport.sent).toHaveLength(1);
    const record = JSON.parse(transport.sent[0]!.value);
    expect(transport.sent[0]!.topic).toBe(topics.deadLetter.name);
    expect(record).toMatchObject({ source: 'ingress', reason: 'missing_or_invalid_keys', rawBody: body });
    expect(transport.sent[0]!.headers).toMatchObject({ 'x-dlq-reason': 'missing_or_invalid_keys' });
  });

  it.each([
    ['malformed JSON', '{"action": "UPDATE", '],
    ['an empty body', ''],
    ['a JSON array', '[]'],
    ['a __proto__ key', '{"action":"A","request":{"requestId":1},"__proto__":{"x":1}}'],
  ])('answers 400 for %s and dead-letters it', async (_name, body) => {
    await start();
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid_payload');
    expect(JSON.parse(transport.sent[0]!.value).rawBody).toBe(body);
  });

  it('answers 413 over the body limit', async () => {
    await start({ INGRESS_BODY_LIMIT_BYTES: '2048' });
    const res = await post(JSON.stringify(webhook({ description: 'x'.repeat(4096) })));
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toBe('payload_too_large');
    expect(transport.sent).toHaveLength(0);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])(
    'answers 415 for %s',
    async (type) => {
      await start();
      const res = await post(seedBody, { 'content-type': type });
      expect(res.statusCode).toBe(415);
      expect(res.json().error).toBe('unsupported_media_type');
    },
  );

  it('accepts application/json with a charset', async () => {
    await start();
    expect((await post(seedBody, { 'content-type': 'application/json; charset=utf-8' })).statusCode).toBe(202);
  });

  it('answers 503 with Retry-After when Kafka does not acknowledge within the deadline', async () => {
    await start({ INGRESS_PUBLISH_TIMEOUT_MS: '200' });
    transport.mode = 'hang';
    const started = Date.now();
    const res = await post(seedBody);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('answers 503 when Kafka refuses the batch', async () => {
    await start();
    transport.mode = 'fail';
    expect((await post(seedBody)).statusCode).toBe(503);
    expect((await post('not json')).statusCode).toBe(503); // the DLQ write failed: Thena must retry
  });
});

describe('operations', () => {
  it('/healthz answers while the process lives; /readyz follows Kafka', async () => {
    await start();
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    transport.state = { ready: false, reason: 'Kafka does not answer' };
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', reason: 'Kafka does not answer' });
  });

  it('/metrics exposes outcomes, rejections by reason, batch sizes and publish latency', async () => {
    await start();
    await post(seedBody);
    await post('nope');
    await post(seedBody, { authorization: 'x' });
    const text = (await app.inject('/metrics')).body;
    for (const line of [
      'thena_ingress_requests_total{outcome="accepted",service="ingress"} 1',
      'thena_ingress_requests_total{outcome="rejected",service="ingress"} 1',
      'thena_ingress_requests_total{outcome="unauthorized",service="ingress"} 1',
      'thena_ingress_rejected_total{reason="invalid_json",service="ingress"} 1',
      'thena_ingress_batch_messages_count{service="ingress"} 2',
      'thena_ingress_publish_seconds_count{service="ingress",result="ok"} 2',
      'thena_ingress_kafka_ready{service="ingress"} 1',
    ]) {
      expect(text).toContain(line);
    }
  });

  it('closing the app drains in-flight batches and closes the transport', async () => {
    await start();
    const pending = post(seedBody);
    await pending;
    await app.close();
    expect(transport.closed).toBe(true);
  });
});

describe('the spool', () => {
  const spoolEnv = (maxBytes = '1048576') => ({
    INGRESS_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'ingress-spool-')),
    INGRESS_SPOOL_MAX_BYTES: maxBytes,
    INGRESS_PUBLISH_TIMEOUT_MS: '100',
  });

  it('answers 202 when Kafka is late, keeps the event, and publishes it in order once Kafka is back', async () => {
    await start(spoolEnv());
    transport.mode = 'fail';
    transport.state = { ready: false, reason: 'Kafka does not answer' };
    const first = await post(JSON.stringify(webhook({ requestId: 1, status: 'NEW' })));
    const second = await post(JSON.stringify(webhook({ requestId: 1, status: 'ASSIGNED' })));
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'degraded' });
    expect(await registry.metrics()).toContain('thena_ingress_spool_records{service="ingress"} 2');
    expect(await registry.metrics()).toContain('thena_ingress_requests_total{outcome="spooled",service="ingress"} 2');

    transport.mode = 'ok';
    transport.state = { ready: true };
    const deadline = Date.now() + 5000;
    while (transport.sent.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(transport.sent.map((m) => JSON.parse(m.value).payload.request.status)).toEqual(['NEW', 'ASSIGNED']);
    expect((await app.inject('/readyz')).json()).toEqual({ status: 'ready' });
  });

  it('answers 503 when the spool is full', async () => {
    // Room for one sample event (its envelope and summary header, about 3.2 kB) and not two.
    await start(spoolEnv('4500'));
    transport.mode = 'fail';
    expect((await post(seedBody)).statusCode).toBe(202);
    const res = await post(JSON.stringify(webhook({ requestId: 2 })));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After to a burst from one address, and goes on serving the others', async () => {
    await start({ INGRESS_RATE_LIMIT_PER_MINUTE: '5' });
    const from = (remoteAddress: string) =>
      app.inject({
        method: 'POST',
        url: '/webhooks/thena',
        payload: seedBody,
        remoteAddress,
        headers: { 'content-type': 'application/json', authorization: token },
      });
    const burst = [];
    for (let i = 0; i < 8; i++) burst.push((await from('10.0.0.1')).statusCode);
    expect(burst).toEqual([202, 202, 202, 202, 202, 429, 429, 429]);
    const limited = await from('10.0.0.1');
    expect(limited.json().error).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await from('10.0.0.2')).statusCode).toBe(202);
    expect((await app.inject('/healthz')).statusCode).toBe(200);
  });

  const viaBalancer = (client: string) =>
    app.inject({
      method: 'POST',
      url: '/webhooks/thena',
      payload: seedBody,
      remoteAddress: '10.9.0.1',
      headers: { 'content-type': 'application/json', authorization: token, 'x-forwarded-for': client },
    });

  it('counts per client behind a trusted load balancer', async () => {
    await start({ INGRESS_RATE_LIMIT_PER_MINUTE: '2', INGRESS_TRUSTED_PROXIES: '10.9.0.0/16' });
    const first = [];
    for (let i = 0; i < 3; i++) first.push((await viaBalancer('203.0.113.7')).statusCode);
    expect(first).toEqual([202, 202, 429]);
    expect((await viaBalancer('203.0.113.8')).statusCode).toBe(202);
  });

  it('ignores X-Forwarded-For from an address that is not a trusted proxy', async () => {
    await start({ INGRESS_RATE_LIMIT_PER_MINUTE: '2', INGRESS_TRUSTED_PROXIES: '192.0.2.1' });
    const answers = [];
    // Each request claims another client; they all come from the one untrusted address.
    for (let i = 0; i < 3; i++) answers.push((await viaBalancer(`203.0.113.${i}`)).statusCode);
    expect(answers).toEqual([202, 202, 429]);
  });
});

describe('POST /webhooks/thena/platform', () => {
  const platformEvent = (over: Record<string, unknown> = {}) =>
    JSON.stringify({
      eventId: 'evt-123',
      eventType: 'ticket:created',
      timestamp: '2026-11-20T10:00:00.000Z',
      orgId: 'org-acme',
      actor: { id: 'U1', type: 'user', email: 'agent@example.com' },
      payload: { ticket: { id: 'T-9', title: 'Printer on fire', status: 'open' } },
      ...over,
    });
  it("answers 202 with Thena's eventId, keyed by the ticket, in the orgId's workspace, the same on every delivery", async () => {
    await start();
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(
        await app.inject({
          method: 'POST',
          url: '/webhooks/thena/platform',
          payload: platformEvent(),
          headers: { 'content-type': 'application/json', authorization: token },
        }),
      );
    expect(answers.map((a) => [a.statusCode, a.json().eventId])).toEqual([
      [202, 'evt-123'],
      [202, 'evt-123'],
      [202, 'evt-123'],
    ]);
    expect(transport.sent.map((m) => [m.topic, m.key])).toEqual(Array(3).fill([topics.platformEvents.name, 'T-9']));
    const envelope = JSON.parse(transport.sent[0]!.value);
    expect(envelope).toMatchObject({
      schema: 'thena.platform-event.v1',
      eventId: 'evt-123',
      eventType: 'ticket:created',
      workspace: 'org-acme',
      entityId: 'T-9',
    });
    expect(envelope.payload).toEqual(JSON.parse(platformEvent()));
    expect(await registry.metrics()).toContain('thena_ingress_requests_total{outcome="duplicate",service="ingress"} 2');
  });

  it('takes the workspace from the token when the event names no orgId, and checks the token', async () => {
    await start({ INGRESS_AUTH_TOKENS: `globex=${token}` });
    const send = (authorization: string) =>
      app.inject({
        method: 'POST',
        url: '/webhooks/thena/platform',
        payload: platformEvent({ orgId: undefined }),
        headers: { 'content-type': 'application/json', authorization },
      });
    expect((await send(token)).statusCode).toBe(202);
    expect((await send('Bearer wrong')).statusCode).toBe(401);
    expect(transport.sent.map((m) => JSON.parse(m.value).workspace)).toEqual(['globex']);
  });

  it('answers 400 naming the missing eventId, with the body on the dead-letter topic', async () => {
    await start();
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/thena/platform',
      payload: platformEvent({ eventId: undefined }),
      headers: { 'content-type': 'application/json', authorization: token },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_payload', details: [{ path: '/eventId' }] });
    expect(transport.sent.map((m) => m.topic)).toEqual([topics.deadLetter.name]);
  });
});
