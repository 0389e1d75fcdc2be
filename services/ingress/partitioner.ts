// Which partition a message goes to, and which of the ingress's producers carries it. The ingress
// runs several idempotent producers because kafkajs lets each have only one request in flight per
// broker; each producer owns a fixed subset of the partitions (partition % producers), so a key's
// messages, which share a partition, always go through the same producer, in order.
//
// The partition is computed here rather than by kafkajs so the choice is known before the message
// is queued: the same murmur2 hash as Kafka's Java client and kafkajs's DefaultPartitioner (a unit
// test holds the two to the same answers), so moving between them moves no key.
import type { OutgoingMessage, TopicDeclaration } from '../../schemas/topics.js';

const seed = 0x9747b28c;
const m = 0x5bd1e995;

/** Kafka's murmur2 of the key's UTF-8 bytes, as a signed 32-bit integer. */
export function murmur2(key: string | Buffer): number {
  const data = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const length = data.length;
  let h = (seed ^ length) | 0;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The last one to three bytes, highest first, each falling through to the next.
  const rest = length % 4;
  if (rest === 3) h ^= (data[whole + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[whole + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[whole]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a keyed message among `partitions`, as kafkajs's DefaultPartitioner picks it. */
export function keyPartition(key: string, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

export interface Route {
  partition: number;
  /** The producer that owns the partition: partition % producers. */
  lane: number;
}

/**
 * Routes messages of the declared topics. Same topic and key, same partition and lane, for as long
 * as the topic's partition count stays; keyless messages take the partitions in turn.
 */
export class PartitionRouter {
  private readonly partitions = new Map<string, number>();
  private readonly turns = new Map<string, number>();

  constructor(
    readonly lanes: number,
    topics: readonly Pick<TopicDeclaration, 'name' | 'partitions'>[],
  ) {
    if (!Number.isInteger(lanes) || lanes < 1)
      throw new Error(`producers: ${lanes} is not a count; expected 1 or more`);
    for (const t of topics) this.partitions.set(t.name, t.partitions);
  }

  /** The topic's partition count as the broker reports it; returns whether it changed. */
  setPartitions(topic: string, count: number): boolean {
    if (this.partitions.get(topic) === count || count < 1) return false;
    this.partitions.set(topic, count);
    return true;
  }

  partitionsOf(topic: string): number | undefined {
    return this.partitions.get(topic);
  }

  route(message: Pick<OutgoingMessage, 'topic' | 'key'>): Route {
    const count = this.partitions.get(message.topic);
    if (count === undefined) {
      throw new Error(`topic '${message.topic}' is not among the ingress's topics; declare it in schemas/topics.ts`);
    }
    let partition: number;
    if (message.key !== null) {
      partition = keyPartition(message.key, count);
    } else {
      const turn = this.turns.get(message.topic) ?? 0;
      this.turns.set(message.topic, turn + 1);
      partition = turn % count;
    }
    return { partition, lane: partition % this.lanes };
  }
}
