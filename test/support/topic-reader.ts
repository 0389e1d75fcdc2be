// Reads a topic from the beginning with a fresh consumer group, collecting what matches.
import type { Consumer, KafkaMessage } from 'kafkajs';
import { createKafka } from '../../services/shared/kafka.js';
import { createLogger } from '../../services/shared/logger.js';
import { uniqueName, waitFor } from './wait.js';

export interface Collected {
  key: string | null;
  value: string;
  headers: Record<string, string>;
  partition: number;
}

export class TopicReader {
  readonly messages: Collected[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: string[], topic: string): Promise<TopicReader> {
    const logger = createLogger('test-reader', { LOG_LEVEL: 'fatal' });
    const consumer = createKafka({ clientId: 'test-reader', brokers, logger }).consumer({
      groupId: uniqueName('reader'),
    });
    const reader = new TopicReader(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => void reader.messages.push(toCollected(partition, message)),
    });
    return reader;
  }

  /** Waits until `predicate` holds for `count` messages, then returns them. */
  async waitFor(
    what: string,
    predicate: (m: Collected) => boolean,
    count = 1,
    timeoutMs = 30_000,
  ): Promise<Collected[]> {
    return waitFor(
      what,
      () => {
        const found = this.messages.filter(predicate);
        return found.length >= count ? found : undefined;
      },
      timeoutMs,
    );
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}

function toCollected(partition: number, m: KafkaMessage): Collected {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = String(v);
  return { key: m.key?.toString() ?? null, value: m.value?.toString() ?? '', headers, partition };
}
