import fc from 'fast-check';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { topics } from '../../schemas/topics.js';
import { keyPartition, PartitionRouter } from './partitioner.js';
import { ingressTopics } from './transport.js';

/** The partition kafkajs's DefaultPartitioner picks for a keyed message, every partition led. */
function kafkajsPartition(key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }));
  return partitioner({ topic: 't', partitionMetadata, message: { key, value: null } } as PartitionerArgs);
}

const requestEvents = topics.requestEvents.name;

describe('keyPartition', () => {
  it.each([
    ['42', 6],
    ['', 6],
    ['a', 6],
    ['ab', 6],
    ['abc', 6],
    ['abcd', 6],
    ['12345678901234567891', 6],
    ['T-9', 6],
    ['ünïcødé ✓', 7],
    ['42', 1],
  ])('puts %j among %i partitions where kafkajs does', (key, partitions) => {
    expect(keyPartition(key, partitions)).toBe(kafkajsPartition(key, partitions));
  });

  it('agrees with kafkajs for any key and partition count', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
        expect(keyPartition(key, n)).toBe(kafkajsPartition(key, n));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('PartitionRouter', () => {
  it('routes a key to the same partition and producer every time', () => {
    const router = new PartitionRouter(3, ingressTopics);
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (key) => {
        const first = router.route({ topic: requestEvents, key });
        for (let i = 0; i < 5; i++) expect(router.route({ topic: requestEvents, key })).toEqual(first);
        expect(first.lane).toBe(first.partition % 3);
      }),
    );
  });

  it.each([1, 2, 3, 4, 6])('spreads the partitions of many keys over all %i producers', (producers) => {
    const router = new PartitionRouter(producers, ingressTopics);
    const routes = Array.from({ length: 3000 }, (_, i) => router.route({ topic: requestEvents, key: String(i) }));
    expect(new Set(routes.map((r) => r.partition)).size).toBe(topics.requestEvents.partitions);
    const perLane = Array.from({ length: producers }, (_, lane) => routes.filter((r) => r.lane === lane).length);
    expect(perLane.every((n) => n > 0)).toBe(true);
    // Each partition belongs to exactly one producer.
    for (let p = 0; p < topics.requestEvents.partitions; p++) {
      expect(new Set(routes.filter((r) => r.partition === p).map((r) => r.lane))).toEqual(new Set([p % producers]));
    }
  });

  it('gives keyless messages the partitions in turn, and the one-partition topic its only one', () => {
    const router = new PartitionRouter(3, ingressTopics);
    const keyless = Array.from({ length: 6 }, () => router.route({ topic: topics.platformEvents.name, key: null }));
    expect(keyless.map((r) => r.partition)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(router.route({ topic: topics.deadLetter.name, key: null })).toEqual({ partition: 0, lane: 0 });
  });

  it("routes by the broker's partition count once told, and refuses an undeclared topic", () => {
    const router = new PartitionRouter(2, ingressTopics);
    expect(router.setPartitions(requestEvents, 6)).toBe(false);
    expect(router.setPartitions(requestEvents, 12)).toBe(true);
    expect(router.route({ topic: requestEvents, key: 'x' }).partition).toBe(kafkajsPartition('x', 12));
    expect(() => router.route({ topic: 'elsewhere', key: 'x' })).toThrow(/'elsewhere' is not among/);
    expect(() => new PartitionRouter(0, ingressTopics)).toThrow(/producers: 0/);
  });
});
