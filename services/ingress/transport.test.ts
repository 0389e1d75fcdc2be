// The Kafka transport's producers connecting in the background, with fake producers: a producer
// whose connect hangs is replaced by a new one, and readiness says which producer is not connected.
// Against a real broker: test/integration/ingress*.integration.test.ts and test/faults/kafka-hang.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Producer } from 'kafkajs';
import { createLogger } from '../shared/logger.js';
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import { refusedProducerState } from '../shared/kafka.js';
import { ProducerLane, withProducers } from './transport.js';

const logger = createLogger('transport-test', { LOG_LEVEL: 'silent' });

/** A producer whose connect does what `connect` says. */
const fakeProducer = (connect: () => Promise<void>) => ({
  connect: vi.fn(connect),
  disconnect: vi.fn(() => Promise.resolve()),
});
const asProducer = (p: ReturnType<typeof fakeProducer>) => p as unknown as Producer;
const hangs = () => new Promise<void>(() => undefined);

describe('ProducerLane', () => {
  afterEach(() => vi.useRealTimers());

  it('gives up on a connect that hangs and connects a new producer, ready only then', async () => {
    vi.useFakeTimers();
    const hung = fakeProducer(hangs);
    const fresh = fakeProducer(() => Promise.resolve());
    const made = [hung, fresh];
    const lane = new ProducerLane(
      () => asProducer(made.shift()!),
      logger,
      () => false,
    );
    expect(lane.waiting).toBe('connecting');

    await vi.advanceTimersByTimeAsync(15_000);
    expect(lane.waiting).toBe('not connected: attempt 1 failed (Kafka did not answer within 15 s)');
    expect(hung.disconnect).toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(1_000); // the first retry waits at most 250 ms
    expect(await lane.connected).toBe(asProducer(fresh));
    expect(lane.producer).toBe(asProducer(fresh));
    expect(lane.waiting).toBeUndefined();
    expect(hung.connect).toHaveBeenCalledTimes(1); // never asked again
  });

  it('replaces a producer whose state the broker refused (after a restart) with a new one', async () => {
    const stale = fakeProducer(() => Promise.resolve());
    const fresh = fakeProducer(() => Promise.resolve());
    const made = [stale, fresh];
    const lane = new ProducerLane(
      () => asProducer(made.shift()!),
      logger,
      () => false,
    );
    expect(await lane.connected).toBe(asProducer(stale));
    // As kafkajs makes it from the broker's answer (its types take a bare message).
    const refused = Object.assign(new KafkaJSProtocolError('The broker received an out of order sequence number'), {
      type: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    });
    expect(refusedProducerState(refused)).toBe(true);
    expect(refusedProducerState(Object.assign(new KafkaJSNonRetriableError(refused), { cause: refused }))).toBe(true);
    expect(refusedProducerState(new Error('Connection error: connect ECONNREFUSED'))).toBe(false);
    lane.replace(asProducer(stale), refused);
    expect(lane.waiting).toMatch(/replaced after the broker refused its state/);
    expect(stale.disconnect).toHaveBeenCalled();
    expect(await lane.connected).toBe(asProducer(fresh));
    expect(lane.waiting).toBeUndefined();
    lane.replace(asProducer(stale), refused); // an older producer's failure changes nothing
    expect(lane.producer).toBe(asProducer(fresh));
  });

  it('lets go of a producer that connects after the transport closed', async () => {
    let closed = false;
    let connected!: () => void;
    const late = fakeProducer(() => new Promise<void>((resolve) => (connected = resolve)));
    const lane = new ProducerLane(
      () => asProducer(late),
      logger,
      () => closed,
    );
    await Promise.resolve();
    closed = true;
    connected();
    expect(await lane.connected).toBeUndefined();
    expect(late.disconnect).toHaveBeenCalled();
    expect(lane.producer).toBeUndefined();
  });

  it('stops trying once the transport closed', async () => {
    vi.useFakeTimers();
    let closed = false;
    const refused = fakeProducer(() => Promise.reject(new Error('Connection refused')));
    const make = vi.fn(() => asProducer(refused));
    const lane = new ProducerLane(make, logger, () => closed);
    await vi.advanceTimersByTimeAsync(0);
    expect(lane.waiting).toBe('not connected: attempt 1 failed (Connection refused)');
    closed = true;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await lane.connected).toBeUndefined();
    expect(make).toHaveBeenCalledTimes(1);
  });
});

describe('withProducers', () => {
  const lanes = (...waiting: (string | undefined)[]) => waiting.map((w) => ({ waiting: w }) as ProducerLane);

  it.each([
    ['Kafka answers and every producer is connected', { ready: true }, lanes(undefined, undefined), { ready: true }],
    [
      'Kafka answers but a producer is not connected',
      { ready: true },
      lanes(undefined, 'not connected: attempt 7 failed (Kafka did not answer within 15 s)'),
      {
        ready: false,
        reason: 'Kafka answers, but producer 2 of 2 not connected: attempt 7 failed (Kafka did not answer within 15 s)',
      },
    ],
    [
      'Kafka does not answer and a producer is connecting',
      { ready: false, reason: 'no answer from Kafka for 9 s (timeout)' },
      lanes('connecting'),
      { ready: false, reason: 'no answer from Kafka for 9 s (timeout); producer 1 of 1 connecting' },
    ],
    [
      'Kafka does not answer, every producer connected',
      { ready: false, reason: 'connecting to Kafka' },
      lanes(undefined),
      { ready: false, reason: 'connecting to Kafka' },
    ],
  ])('%s', (_case, kafka, producers, expected) => {
    expect(withProducers(kafka, producers)).toEqual(expected);
  });
});
