import { describe, expect, it } from 'vitest';
import { KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { isRebalanceError } from './offsets.js';
import { fetchWaitMs } from './fetch.js';

// The shape kafkajs gives a broker's error answer: a KafkaJSError carrying the protocol type.
const protocolError = (type: string) => Object.assign(new KafkaJSError(`broker said ${type}`), { type });

describe('isRebalanceError', () => {
  it('recognises a commit refused for a stale generation, bare or wrapped by kafkajs retries', () => {
    expect(isRebalanceError(protocolError('ILLEGAL_GENERATION'))).toBe(true);
    expect(isRebalanceError(protocolError('REBALANCE_IN_PROGRESS'))).toBe(true);
    expect(isRebalanceError(protocolError('UNKNOWN_MEMBER_ID'))).toBe(true);
    const cause = protocolError('ILLEGAL_GENERATION');
    expect(isRebalanceError(Object.assign(new KafkaJSNonRetriableError(cause), { cause }))).toBe(true);
    expect(isRebalanceError(new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 100 }))).toBe(true);
  });

  it('does not take a lost connection or another refusal for a rebalance', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isRebalanceError(Object.assign(new KafkaJSNonRetriableError(refused), { cause: refused }))).toBe(false);
    expect(isRebalanceError(protocolError('OFFSET_METADATA_TOO_LARGE'))).toBe(false);
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect(isRebalanceError(loop)).toBe(false);
    expect(isRebalanceError(undefined)).toBe(false);
  });
});

describe('fetchWaitMs', () => {
  it('holds a fetch a quarter of the batch age, at least 50 ms and at most a second', () => {
    expect(fetchWaitMs(1_000)).toBe(250);
    expect(fetchWaitMs(2_000)).toBe(500);
    expect(fetchWaitMs(100)).toBe(50);
    expect(fetchWaitMs(30_000)).toBe(1_000);
  });
});
