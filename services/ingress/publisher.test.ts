import { describe, expect, it } from 'vitest';
import { Publisher, PublisherFullError, PublishTimeoutError, type OutgoingMessage } from './publisher.js';

const msg = (value: string): OutgoingMessage => ({ topic: 't', key: 'k', value });

function recordingSend(delayMs = 5) {
  const batches: string[][] = [];
  let hang = false;
  return {
    batches,
    hangNext: () => (hang = true),
    send: async (messages: OutgoingMessage[]) => {
      if (hang) return new Promise<void>(() => undefined);
      batches.push(messages.map((m) => m.value));
      await new Promise((r) => setTimeout(r, delayMs));
    },
  };
}

describe('Publisher', () => {
  it('sends the first message at once and gathers those that arrive meanwhile into one batch', async () => {
    const rec = recordingSend();
    const p = new Publisher(rec.send, { timeoutMs: 1000, maxBatchMessages: 100, maxBatchBytes: 1e6 });
    const first = p.publish(msg('a'));
    await new Promise((r) => setImmediate(r));
    await Promise.all([first, ...['b', 'c', 'd'].map((v) => p.publish(msg(v)))]);
    expect(rec.batches).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('bounds a batch by message count and by bytes, keeping order', async () => {
    const rec = recordingSend(0);
    const p = new Publisher(rec.send, { timeoutMs: 1000, maxBatchMessages: 3, maxBatchBytes: 1e6 });
    await Promise.all('abcdefg'.split('').map((v) => p.publish(msg(v))));
    expect(rec.batches).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);

    const rec2 = recordingSend(0);
    const p2 = new Publisher(rec2.send, { timeoutMs: 1000, maxBatchMessages: 100, maxBatchBytes: 25 });
    await Promise.all(['x'.repeat(10), 'y'.repeat(10), 'z'.repeat(10), 'w'.repeat(40)].map((v) => p2.publish(msg(v))));
    expect(rec2.batches.map((b) => b.map((v) => v[0]).join(''))).toEqual(['xy', 'z', 'w']);
  });

  it('rejects with PublishTimeoutError at the deadline, and never sends what timed out while queued', async () => {
    const rec = recordingSend();
    rec.hangNext();
    const p = new Publisher(rec.send, { timeoutMs: 50, maxBatchMessages: 1, maxBatchBytes: 1e6 });
    const results = await Promise.allSettled([p.publish(msg('stuck')), p.publish(msg('queued'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(PublishTimeoutError);
    expect(rec.batches).toEqual([]); // the hung send recorded nothing; 'queued' was never sent
  });

  it('rejects every message of a batch the broker refused, and goes on with the next', async () => {
    let calls = 0;
    const p = new Publisher(
      async () => {
        if (++calls === 1) throw new Error('NOT_ENOUGH_REPLICAS');
      },
      { timeoutMs: 1000, maxBatchMessages: 10, maxBatchBytes: 1e6 },
    );
    await expect(p.publish(msg('a'))).rejects.toThrow('NOT_ENOUGH_REPLICAS');
    await expect(p.publish(msg('b'))).resolves.toBeUndefined();
  });

  it('reports each batch, and drain() waits for what is in flight', async () => {
    const seen: [number, boolean][] = [];
    const rec = recordingSend(20);
    const p = new Publisher(rec.send, {
      timeoutMs: 1000,
      maxBatchMessages: 10,
      maxBatchBytes: 1e6,
      onBatch: (n, _s, ok) => seen.push([n, ok]),
    });
    void p.publish(msg('a'));
    void p.publish(msg('b'));
    await p.drain();
    expect(p.depth).toBe(0);
    expect(seen).toEqual([[2, true]]);
  });

  it('lets go of messages that timed out while Kafka is stuck, and refuses new ones at once when full', async () => {
    const rec = recordingSend();
    rec.hangNext();
    const p = new Publisher(rec.send, { timeoutMs: 50, maxBatchMessages: 1, maxBatchBytes: 1e6, maxQueuedBytes: 25 });
    const stuck = p.publish(msg('in flight'));
    await new Promise((r) => setImmediate(r));
    const queued = [p.publish(msg('x'.repeat(10))), p.publish(msg('y'.repeat(10)))];
    await expect(p.publish(msg('z'.repeat(10)))).rejects.toBeInstanceOf(PublisherFullError);
    await Promise.allSettled([stuck, ...queued]);
    // The two queued messages timed out and left the queue: there is room again.
    expect(p.depth).toBe(1); // only the hung batch
    const again = p.publish(msg('w'.repeat(10)));
    await expect(again).rejects.toBeInstanceOf(PublishTimeoutError);
  });
});
