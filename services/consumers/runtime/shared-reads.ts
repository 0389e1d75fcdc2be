// One flattening of a message for all of a service's sinks. Each sink has a consumer group of its
// own and fetches every message itself; in one process the groups hold the same partitions and read
// them at nearly the same time (their fetches wait at most a second), so the first sink to come
// flattens and the others take its rows instead of reading the event again: request_events and
// request_activity spend 110-180 µs of CPU an event on it (bench/read-cost.ts). An entry goes once
// every sink has taken it; entries a sink never takes (it is far behind, or another instance holds
// the partition in its group) go oldest first beyond a bound, and that sink flattens for itself.
// Only rows are shared, never a failure: a sink retries a throwing flattener on its own. Shared rows
// are read, never changed, downstream (the sinks copy what they alter).
import { LRUCache } from 'lru-cache';
import type { Row } from '../../../schemas/flattener.js';
import type { KafkaMessage } from 'kafkajs';
import type { Flattener } from '../../../schemas/flattener.js';
import { flattenMessage, type Flattened } from './flatten.js';

interface Entry {
  rows: Row[];
  counts: Record<string, number>;
  takes: number;
}

export class SharedReads {
  private readonly entries: LRUCache<string, Entry>;
  private hits = 0;
  private misses = 0;

  /**
   * @param sinks how many sinks take each message: an entry goes after that many takes
   * @param maxBytes bound on the message bytes whose rows are held (the rows are a small multiple)
   */
  constructor(
    private readonly sinks: number,
    maxBytes = 8 * 1024 * 1024,
  ) {
    this.entries = new LRUCache({ maxSize: maxBytes });
  }

  /**
   * The rows for a message, flattened by `read` unless another sink has done so. `key` names the
   * message (messageKey); `bytes` is its value's length, for the bound.
   */
  take(key: string, bytes: number, read: () => Flattened): Flattened {
    const entry = this.entries.get(key);
    if (entry) {
      this.hits++;
      if (++entry.takes >= this.sinks) this.entries.delete(key);
      return { rows: entry.rows, counts: entry.counts };
    }
    this.misses++;
    const out = read();
    if ('rows' in out && this.sinks > 1) {
      this.entries.set(key, { rows: out.rows, counts: out.counts, takes: 1 }, { size: Math.max(1, bytes) });
    }
    return out;
  }

  /** Takes that found the rows read already, and those that read them. */
  get stats(): { hits: number; misses: number } {
    return { hits: this.hits, misses: this.misses };
  }
}

/**
 * A message's name across sinks: topic, partition, offset, and its timestamp, so a topic deleted
 * and made again under a running service does not hand out an old message's rows.
 */
export const messageKey = (topic: string, partition: number, offset: string, timestamp: string) =>
  `${topic}\u0000${partition}\u0000${offset}\u0000${timestamp}`;

/**
 * A consumed message through its table's flattener, as the runtime calls it: its value decoded only
 * if the flattener reads it (one that reads a header may not), and its rows taken from `shared` when
 * another sink of the service has flattened it already.
 */
export function rowsOf(
  flatten: Flattener,
  topic: string,
  partition: number,
  message: KafkaMessage,
  header: (name: string) => string | undefined,
  shared?: SharedReads,
): Flattened {
  let value: string | undefined;
  const read = () =>
    flattenMessage(flatten, {
      topic,
      partition,
      offset: message.offset,
      get value() {
        return (value ??= message.value?.toString() ?? '');
      },
      header,
    });
  if (!shared) return read();
  return shared.take(messageKey(topic, partition, message.offset, message.timestamp), message.value?.length ?? 0, read);
}
