// Where the ingress's messages go. The Kafka transport is the real one; tests of the HTTP layer
// pass an in-memory one through the same interface (dependency injection, not module mocks).
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from '../shared/logger.js';
import { createKafka, createProducer, sendAcknowledged } from '../shared/kafka.js';
import type { OutgoingMessage } from '../../schemas/topics.js';

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

/** Connects the producer in the background, retrying, so the service starts while Kafka is away. */
function connectInBackground(producer: Producer, logger: Logger, closed: () => boolean): Promise<void> {
  return (async () => {
    for (let attempt = 1; !closed(); attempt++) {
      try {
        await producer.connect();
        return;
      } catch (err) {
        logger.warn({ err, attempt }, 'Kafka producer could not connect; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
      }
    }
  })();
}

/**
 * Asks the broker for the topic's metadata every `intervalMs`: ready while one answer came within
 * the last two intervals. Probes never overlap, so a broker that does not answer at all (rather
 * than refusing) turns readiness off as soon as the window passes.
 */
function kafkaProbe(opts: { brokers: string[]; topic: string; intervalMs: number; logger: Logger }) {
  const { intervalMs, logger } = opts;
  const client = createKafka({ clientId: 'thena-ingress-probe', brokers: opts.brokers, logger }).admin({
    retry: { retries: 0 },
  });
  let lastOk = 0;
  let lastError = 'connecting to Kafka';
  let probing = false;
  const probe = async () => {
    if (probing) return;
    probing = true;
    try {
      await client.connect();
      await client.fetchTopicMetadata({ topics: [opts.topic] });
      if (Date.now() - lastOk > 2 * intervalMs) logger.info('Kafka answers: ready');
      lastOk = Date.now();
    } catch (err) {
      if (Date.now() - lastOk <= 2 * intervalMs) logger.error({ err }, 'Kafka does not answer: not ready');
      lastError = `Kafka does not answer: ${(err as Error).message}`;
      await client.disconnect().catch(() => undefined);
    } finally {
      probing = false;
    }
  };
  void probe();
  const timer = setInterval(() => void probe(), intervalMs);
  const readiness = (): Readiness => {
    if (Date.now() - lastOk <= 2 * intervalMs) return { ready: true };
    if (lastOk === 0) return { ready: false, reason: lastError };
    const silent = Math.round((Date.now() - lastOk) / 1000);
    return { ready: false, reason: `no answer from Kafka for ${silent} s (${lastError})` };
  };
  const stop = async () => {
    clearInterval(timer);
    await client.disconnect();
  };
  return { readiness, stop };
}

/**
 * The idempotent kafkajs producer behind `send`, plus a probe of the broker, so /readyz reflects
 * Kafka's state even when no webhook arrives. The service starts (not ready) while Kafka is away
 * and becomes ready by itself when it answers.
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
  let closed = false;
  const connected = connectInBackground(producer, logger, () => closed);
  const probe = kafkaProbe({
    brokers: opts.brokers,
    topic: opts.probeTopic,
    intervalMs: opts.probeIntervalMs ?? 2000,
    logger,
  });

  return {
    async send(messages) {
      await connected;
      await sendAcknowledged(producer, messages);
    },
    readiness: probe.readiness,
    async close() {
      closed = true;
      await Promise.allSettled([producer.disconnect(), probe.stop()]);
    },
  };
}
