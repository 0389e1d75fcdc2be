import { describe, expect, it } from 'vitest';
import { topics } from '../../schemas/topics.js';
import { LanePublisher } from './lanes.js';
import { keyPartition, PartitionRouter } from './partitioner.js';
import { PublisherFullError, type RoutedMessage } from './publisher.js';
import { ingressTopics, type Transport } from './transport.js';

/** Routes as the Kafka transport does and holds each send open until released. */
function laneTransport(lanes: number) {
  const router = new PartitionRouter(lanes, ingressTopics);
  const sends: { messages: RoutedMessage[]; release(): void }[] = [];
  const transport: Pick<Transport, 'lanes' | 'route' | 'send'> = {
    lanes,
    route: (m) => router.route(m),
    send: (messages) =>
      new Promise<void>((release) => {
        sends.push({ messages: [...messages], release });
      }),
  };
  return { transport, sends };
}

const opts = { timeoutMs: 1000, maxBatchMessages: 100, maxBatchBytes: 1e6 };
const event = (key: string, value = key) => ({ topic: topics.requestEvents.name, key, value });
const tick = () => new Promise((r) => setImmediate(r));

describe('LanePublisher', () => {
  it('has one batch in flight per producer at once, each holding only its own partitions', async () => {
    const { transport, sends } = laneTransport(3);
    const publisher = new LanePublisher(transport, opts);
    const done = Promise.all(Array.from({ length: 300 }, (_, i) => publisher.publish(event(String(i)))));
    await tick();
    expect(sends).toHaveLength(3);
    // One send per producer, each with messages of that producer's partitions only.
    const lanesOfSends = sends.map(({ messages }) => new Set(messages.map((m) => m.partition! % 3)));
    expect(lanesOfSends.every((lanes) => lanes.size === 1)).toBe(true);
    expect(new Set(lanesOfSends.map((lanes) => [...lanes][0]))).toEqual(new Set([0, 1, 2]));
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      sends.splice(0).forEach((s) => s.release());
      await tick();
    }
  });

  it("sends a key's messages through one producer, in the order they arrived, with its partition", async () => {
    const router = new PartitionRouter(3, ingressTopics);
    const sent: { lane: number; messages: RoutedMessage[] }[] = [];
    const transport: Pick<Transport, 'lanes' | 'route' | 'send'> = {
      lanes: 3,
      route: (m) => router.route(m),
      send: async (messages) => {
        sent.push({ lane: messages[0]!.partition! % 3, messages: [...messages] });
        await new Promise((r) => setTimeout(r, 1));
      },
    };
    const publisher = new LanePublisher(transport, { ...opts, maxBatchMessages: 2 });
    const values = ['created', 'assigned', 'closed', 'reopened', 'closed again'];
    await Promise.all(
      values.flatMap((v, i) => [publisher.publish(event('42', v)), publisher.publish(event(`other-${i}`))]),
    );
    const mine = sent.flatMap((s) => s.messages.filter((m) => m.key === '42').map((m) => ({ ...m, lane: s.lane })));
    expect(mine.map((m) => m.value)).toEqual(values);
    expect(new Set(mine.map((m) => m.partition))).toEqual(new Set([keyPartition('42', 6)]));
    expect(new Set(mine.map((m) => m.lane))).toEqual(new Set([keyPartition('42', 6) % 3]));
  });

  it('bounds the bytes waiting in all producers together', async () => {
    const { transport, sends } = laneTransport(3);
    const publisher = new LanePublisher(transport, { ...opts, maxQueuedBytes: 100 });
    // Three keys on three different producers, each first message in flight at once (not queued).
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const lanesOf = new Map(keys.map((k) => [k, transport.route(event(k)).lane]));
    const byLane = [0, 1, 2].map((lane) => keys.find((k) => lanesOf.get(k) === lane)!);
    expect(byLane.every((k) => k !== undefined)).toBe(true);
    const inFlight = byLane.map((k) => publisher.publish(event(k, 'x')));
    await tick();
    expect(sends).toHaveLength(3);
    // Queued behind them: 3 x 30 bytes fit within 100 only as a total across the lanes.
    const queued = byLane.map((k) => publisher.publish(event(k, 'y'.repeat(29))));
    await expect(publisher.publish(event(byLane[0]!, 'z'.repeat(29)))).rejects.toBeInstanceOf(PublisherFullError);
    sends.forEach((s) => s.release());
    await Promise.all(inFlight);
    await tick();
    sends.slice(3).forEach((s) => s.release());
    await Promise.all(queued);
  });
});
