import { describe, expect, it } from 'vitest';
import { backoffMs, isRetryable, RetryableError } from './retry.js';

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
