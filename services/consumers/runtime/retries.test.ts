// A failed write's retries: the partition pauses once, waits grow up to CONSUMER_RETRY_MAX_MS and
// never past it, and the partition resumes after the write that succeeds.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { kafkaSettings } from '../../../schemas/config-kafka.schema.js';
import { createLogger } from '../../shared/logger.js';
import { PartitionBuffer } from './partition-buffer.js';
import { PartitionRetries } from './retries.js';

function retriesOf(maxMs: number | undefined) {
  const calls: string[] = [];
  // The two calls of kafkajs's consumer that a retry makes, recorded.
  const consumer = {
    pause: (t: { partitions: number[] }[]) => calls.push(`pause ${t[0]!.partitions.join()}`),
    resume: (t: { partitions: number[] }[]) => calls.push(`resume ${t[0]!.partitions.join()}`),
  };
  const retries = new PartitionRetries({
    consumer: consumer as never,
    topic: 'events',
    sinkLabel: { sink: 'bigquery' },
    maxMs,
    metrics: { retries: { inc: () => undefined } } as never,
    logger: createLogger('retries-test', { LOG_LEVEL: 'fatal' }),
  });
  return { retries, calls };
}

/** The waits of `attempts` failures in a row of one partition's write. */
function waits(retries: PartitionRetries, attempts: number): { b: PartitionBuffer; waits: number[] } {
  const b = new PartitionBuffer(2, () => 'k', 10);
  b.add({ offset: '7', value: null, retryCount: 0 }, []);
  const out: number[] = [];
  for (let i = 0; i < attempts; i++) {
    retries.later(b, b.take()!, new Error('unavailable'));
    out.push(b.retryAt - Date.now());
  }
  return { b, waits: out };
}

describe('PartitionRetries', () => {
  // The clock stands still, so that each wait is read exactly from when the retry is due.
  beforeEach(() => void vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => void vi.useRealTimers());

  it('waits at most the configured bound, and reaches towards it', () => {
    const { retries, calls } = retriesOf(2_000);
    const { b, waits: w } = waits(retries, 40);
    expect(Math.max(...w)).toBeLessThanOrEqual(2_000);
    // Each wait is a random part of its bound: past half of it at least once in 35 tries at 2 s.
    expect(Math.max(...w)).toBeGreaterThan(1_000);
    expect(calls).toEqual(['pause 2']);
    retries.succeeded(b);
    expect(calls).toEqual(['pause 2', 'resume 2']);
    expect(b.attempts).toBe(0);
  });

  it("takes CONSUMER_RETRY_MAX_MS's default when no bound is given", () => {
    const bound = kafkaSettings.CONSUMER_RETRY_MAX_MS.default;
    const { retries } = retriesOf(undefined);
    const { waits: w } = waits(retries, 40);
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.max(...w)).toBeGreaterThan(bound / 2);
  });
});
