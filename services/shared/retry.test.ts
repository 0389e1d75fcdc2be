import { describe, expect, it } from 'vitest';
import { backoffMs, isEnvironmental, isRetryable, keepTrying, RetryableError } from './retry.js';

describe('backoffMs', () => {
  it('grows exponentially up to the cap, scaled by the jitter', () => {
    const top = { initialMs: 100, maxMs: 5_000, random: () => 0.999999 };
    expect([1, 2, 3, 4, 5, 6, 7, 10].map((a) => backoffMs(a, top))).toEqual([
      100, 200, 400, 800, 1600, 3200, 5000, 5000,
    ]);
    expect(backoffMs(3, { ...top, random: () => 0 })).toBe(0);
    expect(backoffMs(3, { ...top, random: () => 0.5 })).toBe(200);
  });

  it('spreads retries out', () => {
    const waits = new Set(Array.from({ length: 50 }, () => backoffMs(5, { initialMs: 100, maxMs: 10_000 })));
    expect(waits.size).toBeGreaterThan(10);
  });
});

describe('isRetryable', () => {
  it.each<[string, unknown, boolean]>([
    ['HTTP 503', { code: 503 }, true],
    ['HTTP 500', { code: 500 }, true],
    ['HTTP 429', { code: 429 }, true],
    ['HTTP 400', { code: 400 }, false],
    ['HTTP 403', { code: 403 }, false],
    ['HTTP 404', { code: 404 }, false],
    ['connection refused', { code: 'ECONNREFUSED' }, true],
    ['a fetch error wrapping a reset', { message: 'fetch failed', cause: { code: 'ECONNRESET' } }, true],
    ['rate limited by reason', { errors: [{ reason: 'rateLimitExceeded' }] }, true],
    ['HTTP 403 for a quota, as Google answers it', { code: 403, errors: [{ reason: 'quotaExceeded' }] }, true],
    ['HTTP 403 for a permission', { code: 403, errors: [{ reason: 'accessDenied' }] }, false],
    ['a plain error', new Error('bad schema'), false],
    ['an explicit RetryableError', new RetryableError('later'), true],
  ])('%s -> %s', (_name, err, expected) => {
    expect(isRetryable(err)).toBe(expected);
  });
});

describe('keepTrying', () => {
  it('retries with growing waits until the call succeeds', async () => {
    let calls = 0;
    const waits: number[] = [];
    const result = await keepTrying(
      async () => {
        if (++calls < 4) throw new Error(`down ${calls}`);
        return 'up';
      },
      {
        initialMs: 100,
        maxMs: 250,
        random: () => 0.999999,
        onRetry: (_err, wait) => waits.push(wait),
        sleep: async () => undefined,
      },
    );
    expect(result).toBe('up');
    expect(waits).toEqual([100, 200, 250]);
  });

  it('throws at once an error it is told not to retry', async () => {
    let calls = 0;
    const attempt = async () => {
      calls++;
      throw new Error('bad credentials');
    };
    await expect(
      keepTrying(attempt, { initialMs: 1, maxMs: 1, retryIf: isRetryable, onRetry: () => undefined }),
    ).rejects.toThrow('bad credentials');
    expect(calls).toBe(1);
  });
});

describe('isEnvironmental', () => {
  it.each([
    ['a full disk', { code: 'ENOSPC' }, true],
    ['a permission, wrapped', new Error('write failed', { cause: { code: 'EACCES' } }), true],
    ['HTTP 403 of a bucket', { code: 403 }, true],
    ['HTTP 404', { status: 404 }, true],
    ['an encoder bug', new TypeError('Cannot read properties of undefined'), false],
    ['a value out of range', new RangeError('Invalid time value'), false],
    ['HTTP 400: the request itself', { code: 400 }, false],
    ['a gRPC status (a number below 100)', { code: 3 }, false],
    ['nothing', undefined, false],
  ])('%s: %s', (_what, err, expected) => {
    expect(isEnvironmental(err)).toBe(expected);
  });
});
