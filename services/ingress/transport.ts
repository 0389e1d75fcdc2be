// Where the ingress's messages go. The Kafka transport is the real one; tests of the HTTP layer
// pass an in-memory one through the same interface (dependency injection, not module mocks).
import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from '../shared/logger.js';
import { createKafka, createProducer } from '../shared/kafka.js';
import type { OutgoingMessage } from './publisher.js';

export interface Readiness {
  ready: boolean;
  reason?: string;
}

export interface Transport {
  /** Resolves once every message is acknowledged by all in-sync replicas. */
  send(messages: OutgoingMessage[]): Promise<void>;
  readiness(): Readiness;
  close(): Promise<void>;
}

/**
 * The idempotent kafkajs producer behind `send`, plus a probe that asks the broker for the
 * topic's metadata every `probeIntervalMs`: ready while one succeeded within the last two
 * intervals, so /readyz reflects Kafka's state even when no webhook arrives. Connecting happens in the background: the service starts (not ready) while
 * Kafka is away and becomes ready by itself when it answers.
 */
export function kafkaTransport(opts: {
  brokers: string[];
  probeTopic: string;
  logger: Logger;
  probeIntervalMs?: number;
}): Transport {
  const logger = opts.logger.child({ component: 'kafka-transport' });
  const kafka: Kafka = createKafka({ clientId: 'thena-ingress', brokers: opts.brokers, logger });
  const producer: Producer = createProducer(kafka);
  const probeClient = createKafka({ clientId: 'thena-ingress-probe', brokers: opts.brokers, logger }).admin({
    retry: { retries: 0 },
  });

  let closed = false;
  const connected = (async () => {
    for (let attempt = 1; !closed; attempt++) {
      try {
        await producer.connect();
        return;
      } catch (err) {
        logger.warn({ err, attempt }, 'Kafka producer could not connect; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
      }
    }
  })();

  // Ready while the last successful probe is recent; probes never overlap, so a broker that does
  // not answer at all (rather than refusing) turns readiness off as soon as the window passes.
  const interval = opts.probeIntervalMs ?? 2000;
  let lastOk = 0;
  let lastError = 'connecting to Kafka';
  let probing = false;
  const probe = async () => {
    if (probing) return;
    probing = true;
    try {
      await probeClient.connect();
      await probeClient.fetchTopicMetadata({ topics: [opts.probeTopic] });
      if (Date.now() - lastOk > 2 * interval) logger.info('Kafka answers: ready');
      lastOk = Date.now();
    } catch (err) {
      if (Date.now() - lastOk <= 2 * interval) logger.error({ err }, 'Kafka does not answer: not ready');
      lastError = `Kafka does not answer: ${(err as Error).message}`;
      await probeClient.disconnect().catch(() => undefined);
    } finally {
      probing = false;
    }
  };
  void probe();
  const timer = setInterval(() => void probe(), interval);
  const readiness = (): Readiness =>
    Date.now() - lastOk <= 2 * interval
      ? { ready: true }
      : {
          ready: false,
          reason:
            lastOk === 0
              ? lastError
              : `no answer from Kafka for ${Math.round((Date.now() - lastOk) / 1000)} s (${lastError})`,
        };

  return {
    async send(messages) {
      await connected;
      const byTopic = new Map<string, OutgoingMessage[]>();
      for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
      await producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.GZIP,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map(({ key, value, headers }) => ({ key, value, headers })),
        })),
      });
    },
    readiness,
    async close() {
      closed = true;
      clearInterval(timer);
      await Promise.allSettled([producer.disconnect(), probeClient.disconnect()]);
    },
  };
}
