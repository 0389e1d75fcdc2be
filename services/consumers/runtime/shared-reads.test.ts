import { describe, expect, it, vi } from 'vitest';
import type { Flattened } from './flatten.js';
import { SharedReads, messageKey } from './shared-reads.js';

const rows = (n: number): Flattened => ({ rows: [{ n }], counts: {} });
const key = (offset: number) => messageKey('thena.request-events.v1', 0, String(offset), '1764756000000');

describe('SharedReads', () => {
  it('flattens a message once for two sinks, and again once both have taken it', () => {
    const shared = new SharedReads(2);
    const read = vi.fn(() => rows(1));
    const first = shared.take(key(5), 100, read);
    const second = shared.take(key(5), 100, read);
    expect(read).toHaveBeenCalledTimes(1);
    expect(second).toEqual(first);
    // Both took it: a redelivery (after a rebalance, say) reads again.
    shared.take(key(5), 100, read);
    expect(read).toHaveBeenCalledTimes(2);
    expect(shared.stats).toEqual({ hits: 1, misses: 2 });
  });

  it('tells messages apart by topic, partition, offset and timestamp', () => {
    const shared = new SharedReads(2);
    const read = vi.fn(() => rows(1));
    for (const k of [
      key(5),
      messageKey('other', 0, '5', '1764756000000'),
      messageKey('thena.request-events.v1', 1, '5', '1764756000000'),
      messageKey('thena.request-events.v1', 0, '5', '1764756000001'),
    ]) {
      shared.take(k, 100, read);
    }
    expect(read).toHaveBeenCalledTimes(4);
  });

  it('shares no failure: each sink tries the flattener itself', () => {
    const shared = new SharedReads(2);
    const failure: Flattened = {
      failure: { kind: 'poison', stage: 'flatten', reason: 'flatten_failed', message: 'x' },
    };
    const read = vi.fn(() => failure);
    shared.take(key(1), 100, read);
    shared.take(key(1), 100, read);
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('drops the oldest rows beyond its bound in message bytes, and that sink reads for itself', () => {
    const shared = new SharedReads(2, 1_000);
    const read = vi.fn((n: number) => rows(n));
    for (let offset = 0; offset < 5; offset++) shared.take(key(offset), 400, () => read(offset));
    // Room for two 400-byte messages: offsets 3 and 4 are held, 0 to 2 went.
    for (const offset of [4, 3, 0]) expect(shared.take(key(offset), 400, () => read(offset))).toEqual(rows(offset));
    expect(read.mock.calls.map(([n]) => n)).toEqual([0, 1, 2, 3, 4, 0]);
  });

  it('holds nothing for a service with one sink', () => {
    const shared = new SharedReads(1);
    const read = vi.fn(() => rows(1));
    shared.take(key(1), 100, read);
    shared.take(key(1), 100, read);
    expect(read).toHaveBeenCalledTimes(2);
  });
});
