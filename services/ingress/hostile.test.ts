// Property-based tests: whatever the body, headers or content type, the ingress answers with one
// of the contract's answers, in the contract's shape, and neither crashes nor pollutes prototypes.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createLogger } from '../shared/logger.js';
import { createRegistry } from '../shared/metrics.js';
import { parseConfig } from '../shared/config.js';
import { MemoryTransport } from '../../test/support/memory-transport.js';
import { seed } from '../../test/fixtures/webhooks.js';

const token = 'Bearer property-token';
let app: FastifyInstance;

beforeAll(async () => {
  app = await buildApp({
    config: parseConfig({
      INGRESS_AUTH_TOKENS: token,
      INGRESS_BODY_LIMIT_BYTES: '65536',
      INGRESS_SPOOL_MAX_BYTES: '0',
    }),
    logger: createLogger('ingress', { LOG_LEVEL: 'silent' }),
    registry: createRegistry('ingress'),
    transport: new MemoryTransport(),
  });
});
afterAll(async () => {
  await app.close();
});

const contractStatuses = [202, 400, 401, 413, 415];

function checkAnswer(status: number, body: string): void {
  expect(contractStatuses).toContain(status);
  const json = JSON.parse(body);
  if (status === 202) expect(json).toEqual({ status: 'accepted', eventId: expect.stringMatching(/^[0-9a-f]{32}$/) });
  if (status === 400) {
    expect(json.error).toBe('invalid_payload');
    for (const d of json.details) expect(typeof d.path === 'string' && typeof d.message === 'string').toBe(true);
  }
  if (status === 401) expect(json).toEqual({ error: 'unauthorized' });
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

/** Posts a JSON body with the right token and checks the answer against the contract. */
async function postAndCheck(payload: string): Promise<void> {
  const res = await app.inject({
    method: 'POST',
    url: '/webhooks/thena',
    payload,
    headers: { 'content-type': 'application/json', authorization: token },
  });
  checkAnswer(res.statusCode, res.body);
}

/** The seed sample with random values put in at random places: the shape Thena's payloads vary in. */
const mutatedSeed = fc
  .tuple(
    fc.constantFrom(...Object.keys(seed.request), 'action', 'request', '__proto__', 'constructor', 'requestId'),
    fc.jsonValue(),
  )
  .map(([key, value]) => {
    const body = structuredClone(seed) as Record<string, any>;
    if (key === 'action' || key === 'request') body[key] = value;
    else body.request[key] = value;
    return JSON.stringify(body);
  });

describe('hostile input (fast-check)', () => {
  it('answers any body with a contract answer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.json(), mutatedSeed, fc.string({ unit: 'binary' })),
        async (payload) => {
          await postAndCheck(payload);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('answers any content type and authorization header with a contract answer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(
            'application/json',
            'application/json; charset=utf-8',
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/vnd.api+json',
            '',
          ),
          fc.string(),
        ),
        fc.oneof(fc.constant(token), fc.string(), fc.constant(undefined)),
        async (contentType, authorization) => {
          const headers: Record<string, string> = {};
          if (contentType) headers['content-type'] = contentType;
          if (authorization !== undefined) headers.authorization = authorization;
          const res = await app.inject({
            method: 'POST',
            url: '/webhooks/thena',
            payload: JSON.stringify(seed),
            headers,
          });
          checkAnswer(res.statusCode, res.body);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('survives deep nesting, huge arrays and prototype keys', async () => {
    for (const payload of [
      '['.repeat(100_000) + ']'.repeat(100_000),
      JSON.stringify({ action: 'A', request: { requestId: 1, list: Array(20_000).fill(0) } }),
      '{"__proto__":{"polluted":true},"action":"A","request":{"requestId":1}}',
      '{"action":"A","request":{"requestId":1,"constructor":{"prototype":{"polluted":true}}}}',
    ]) {
      await postAndCheck(payload);
    }
  });
});
