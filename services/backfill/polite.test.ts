import { afterEach, describe, expect, it } from 'vitest';
import { fakeThenaApi, type FakeThenaApi } from '../../test/support/fake-thena-api.js';
import { ApiKeyError, BackfillError } from './errors.js';
import { politeClient, rateLimiter, retryAfterMs, verdictOf, type PoliteOptions } from './polite.js';

const t0 = Date.parse('2026-01-01T00:00:00Z');

/** A clock that only moves when the client sleeps, and a record of every sleep. */
function fakeClock() {
  let now = t0;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
  };
}

let api: FakeThenaApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const query = 'start_date=0&end_date=2000000000&limit=10';

async function clientAgainstFake(opts: Partial<PoliteOptions> = {}) {
  api = await fakeThenaApi({ items: [{ requestId: '1', createdAt: '2024-01-01T00:00:00Z' }] });
  const clock = fakeClock();
  const client = politeClient({
    requestsPerSecond: 1000,
    timeoutMs: 2_000,
    keyName: 'THENA_API_KEY',
    backoff: { initialMs: 100, maxMs: 1_000 },
    now: clock.now,
    sleep: clock.sleep,
    ...opts,
  });
  const get = () =>
    client.get(new URL(`${api!.url}/rest/v1/requests?${query}`), { authorization: `Bearer ${api!.key}` });
  return { api, clock, get };
}

describe('retryAfterMs', () => {
  it.each([
    ['2', 2_000],
    ['0', 0],
    [' 1.5 ', 1_500],
    [new Date(t0 + 3_000).toUTCString(), 3_000],
    [new Date(t0 - 3_000).toUTCString(), 0],
    ['soon', undefined],
    [null, undefined],
  ])('%s -> %s ms', (header, ms) => {
    expect(retryAfterMs(header, t0)).toBe(ms);
  });
});

describe('verdictOf', () => {
  const o = { backoff: { initialMs: 100, maxMs: 1_000, random: () => 0.5 }, maxRetryAfterMs: 10_000, now: t0 };
  it.each([
    [200, null, { kind: 'ok' }],
    [204, null, { kind: 'ok' }],
    [429, '3', { kind: 'retry', waitMs: 3_000 }],
    [429, null, { kind: 'retry', waitMs: 50 }],
    [429, '60', { kind: 'fail' }],
    [500, null, { kind: 'retry', waitMs: 50 }],
    [503, '1', { kind: 'retry', waitMs: 50 }],
    [408, null, { kind: 'retry' }],
    [400, null, { kind: 'fail' }],
    [401, null, { kind: 'fail' }],
    [404, null, { kind: 'fail' }],
  ])('HTTP %s (Retry-After %s): %o', (status, retryAfter, expected) => {
    expect(verdictOf(status, retryAfter, 1, o)).toMatchObject(expected);
  });
});

describe('rateLimiter', () => {
  it('spaces calls 1000 / perSecond ms apart, and lets a call through at once after a pause', async () => {
    const clock = fakeClock();
    const slot = rateLimiter(4, clock.now, clock.sleep);
    for (let i = 0; i < 4; i++) await slot();
    expect(clock.waits).toEqual([250, 250, 250]);
    await clock.sleep(5_000);
    await slot();
    expect(clock.waits).toEqual([250, 250, 250, 5_000]);
  });
});

describe('politeClient against the fake API', () => {
  it('waits what Retry-After asks on 429, in seconds or as an HTTP date, then goes on', async () => {
    const { api, clock, get } = await clientAgainstFake();
    api.queue(
      { status: 429, headers: { 'retry-after': '2' } },
      { status: 429, headers: { 'retry-after': new Date(t0 + 2_000 + 3_000).toUTCString() } },
    );
    const answer = await get();
    expect(answer.status).toBe(200);
    expect(clock.waits).toEqual([2_000, 3_000]);
    expect(api.calls).toHaveLength(3);
  });

  it('honours a real Retry-After: the next call comes after it', async () => {
    const { api, get } = await clientAgainstFake({ now: Date.now, sleep: undefined });
    api.queue({ status: 429, headers: { 'retry-after': '1' } });
    await get();
    expect(api.calls).toHaveLength(2);
    expect(api.calls[1]!.at - api.calls[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('retries 5xx and a dropped connection with growing backoff, then succeeds', async () => {
    const { api, clock, get } = await clientAgainstFake({ backoff: { initialMs: 100, maxMs: 1_000, random: () => 1 } });
    api.queue({ status: 500 }, { drop: true }, { status: 503 });
    const answer = await get();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ data: [{ requestId: '1' }] });
    expect(clock.waits).toEqual([100, 200, 400]);
    expect(api.calls).toHaveLength(4);
  });

  it('tells of each retry', async () => {
    const retries: string[] = [];
    const { api, get } = await clientAgainstFake({ onRetry: (m) => retries.push(m) });
    api.queue({ status: 502 });
    await get();
    expect(retries).toEqual([expect.stringMatching(/^GET \/rest\/v1\/requests\?.* HTTP 502; try 2 of 6 in \d/)]);
  });

  it('gives up after maxAttempts on 5xx for ever, saying how often, the last failure and that the checkpoint is kept', async () => {
    const { api, get } = await clientAgainstFake({ maxAttempts: 4 });
    api.always({ status: 503 });
    const err = await get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackfillError);
    expect((err as Error).message).toMatch(/failed 4 times \(last: HTTP 503\); the checkpoint is kept/);
    expect(api.calls).toHaveLength(4);
  });

  it('counts a page that does not come within the timeout as a failure and retries it', async () => {
    api = await fakeThenaApi({ items: [], delayMs: 1_000 });
    const client = politeClient({
      requestsPerSecond: 1000,
      timeoutMs: 100,
      keyName: 'THENA_API_KEY',
      maxAttempts: 2,
      backoff: { initialMs: 1, maxMs: 1 },
    });
    const url = new URL(`${api.url}/rest/v1/requests?${query}`);
    const err = await client.get(url, { authorization: `Bearer ${api.key}` }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/failed 2 times \(last: no complete answer within 100 ms\)/);
    expect(api.calls).toHaveLength(2);
  });

  it.each([401, 403])('stops at once on %s with an error naming THENA_API_KEY, without its value', async (status) => {
    const { api, get } = await clientAgainstFake();
    api.queue({ status });
    const err = await get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiKeyError);
    expect((err as Error).message).toContain('THENA_API_KEY');
    expect((err as Error).message).not.toContain(api.key);
    expect(api.calls).toHaveLength(1);
  });

  it('stops at once on another 4xx, with the status and what the API said', async () => {
    const { api, get } = await clientAgainstFake();
    api.queue({ status: 422, body: '{"error":"start_date after end_date"}' });
    await expect(get()).rejects.toThrow(/HTTP 422: \{"error":"start_date after end_date"\}/);
    expect(api.calls).toHaveLength(1);
  });

  it('stops when Retry-After asks for longer than it will wait', async () => {
    const { api, get } = await clientAgainstFake({ maxRetryAfterMs: 60_000 });
    api.queue({ status: 429, headers: { 'retry-after': '3600' } });
    await expect(get()).rejects.toThrow(/HTTP 429 asking to wait 3600 s .*run the same command again after that/);
  });
});
