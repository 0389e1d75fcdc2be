// Reading a whole topic from its start, for the small topics the commands need whole (the control
// topic, the dead letters). Each reader has a consumer group of its own and commits nothing.
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { consumerRetry } from './kafka.js';

export interface TopicMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  timestamp: string;
}

export interface TopicReading {
  stop(): Promise<void>;
}

/**
 * Calls `onMessage` for every message of `topic`, in order within each partition, and resolves once
 * everything written before the call has been handled. With `follow`, it goes on with new
 * messages until stopped; otherwise it stops there.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  onMessage: (m: TopicMessage) => void | Promise<void>,
  opts: { follow?: boolean } = {},
): Promise<TopicReading> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const read = new Map<number, bigint>();
  let reachedEnd: () => void = () => undefined;
  const atEnd = new Promise<void>((resolve) => (reachedEnd = resolve));
  const check = () => {
    if ([...ends].every(([p, end]) => end === 0n || (read.get(p) ?? 0n) >= end)) reachedEnd();
  };
  // A fetch waits at most 1 s for new records (kafkajs's default is 5 s): stop() waits for the
  // fetch in flight, so this bounds how long a service's shutdown waits for its control reader.
  let stopping = false;
  const consumer: Consumer = kafka.consumer({
    groupId: `thena-lake.reader.${randomUUID()}`,
    maxWaitTimeInMs: 1_000,
    retry: consumerRetry(() => stopping),
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      await onMessage({
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : String(v ?? '')]),
        ),
        timestamp: message.timestamp,
      });
      read.set(partition, BigInt(message.offset) + 1n);
      check();
    },
  });
  check();
  await atEnd;
  // kafkajs's disconnect waits for every request in flight. After a broker restart, that can be
  // a JoinGroup waiting out this reader's own lost member (a 30 s session): a service's shutdown
  // waited 12-17 s for it. The reader commits nothing and wants no answer any more, so it waits
  // at most 2 s; the connection closes with the process.
  const stop = async () => {
    stopping = true;
    await consumer.stop();
    const disconnected = consumer.disconnect();
    disconnected.catch(() => undefined); // a failure after the 2 s is of no interest
    await Promise.race([disconnected, new Promise((r) => setTimeout(r, 2_000).unref())]);
  };
  if (!opts.follow) await stop();
  return { stop };
}
