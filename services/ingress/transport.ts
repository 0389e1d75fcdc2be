// Where the ingress's messages go. The Kafka transport is the real one; tests of the HTTP layer
// pass an in-memory one through the same interface (dependency injection, not module mocks).
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from '../shared/logger.js';
import { createKafka, createProducer, sendAcknowledged } from '../shared/kafka.js';
import { topics, type OutgoingMessage, type TopicDeclaration } from '../../schemas/topics.js';
import type { RoutedMessage } from './publisher.js';
import { PartitionRouter } from './partitioner.js';

/** The topics the ingress writes to: the ones its router knows. */
export const ingressTopics: readonly TopicDeclaration[] = [
  topics.requestEvents,
  topics.platformEvents,
  topics.deadLetter,
];

export interface Readiness {
  ready: boolean;
  reason?: string;
}

export interface Transport {
  /** Sends that may be in flight at once: one per producer. */
  readonly lanes: number;
  /**
   * The lane that carries `message`, and the partition it goes to if the transport picks it.
   * A topic's messages with the same key get the same answer; call once per message and send the
   * message with that partition.
   */
  route(message: OutgoingMessage): { lane: number; partition?: number };
  /**
   * Resolves once every message is acknowledged by all in-sync replicas. Messages of several
   * lanes are split between their producers; a partition's messages keep their order.
   */
  send(messages: readonly RoutedMessage[]): Promise<void>;
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
function kafkaProbe(opts: {
  brokers: string[];
  topic: string;
  intervalMs: number;
  logger: Logger;
  /** After each answer: a chance to read more metadata with the connected client (errors ignored). */
  onAnswer?: (admin: ReturnType<Kafka['admin']>) => Promise<void>;
}) {
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
      await opts.onAnswer?.(client).catch(() => undefined);
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
 * `producers` idempotent kafkajs producers behind `send`, each owning the partitions p with
 * p % producers = its index (kafkajs gives each one request in flight per broker), plus a probe of
 * the broker, so /readyz reflects Kafka's state even when no webhook arrives. Partitions are
 * chosen here with kafkajs's own hash, from the declared partition counts, corrected by the
 * broker's metadata once it answers. The service starts (not ready) while Kafka is away and
 * becomes ready by itself when it answers.
 */
export function kafkaTransport(opts: {
  brokers: string[];
  probeTopic: string;
  /** The topics the ingress writes, with the partition counts to route by until the broker answers. */
  topics: readonly TopicDeclaration[];
  producers: number;
  logger: Logger;
  probeIntervalMs?: number;
}): Transport {
  const logger = opts.logger.child({ component: 'kafka-transport' });
  const router = new PartitionRouter(opts.producers, opts.topics);
  const kafka: Kafka = createKafka({ clientId: 'thena-ingress', brokers: opts.brokers, logger });
  // kafka.producer() opens its own connections, so each producer has its own request in flight.
  const producers: Producer[] = Array.from({ length: opts.producers }, () => createProducer(kafka));
  let closed = false;
  const connected = producers.map((p) => connectInBackground(p, logger, () => closed));
  const probe = kafkaProbe({
    brokers: opts.brokers,
    topic: opts.probeTopic,
    intervalMs: opts.probeIntervalMs ?? 2000,
    logger,
    onAnswer: async (admin) => {
      const { topics } = await admin.fetchTopicMetadata({ topics: opts.topics.map((t) => t.name) });
      for (const t of topics) {
        const before = router.partitionsOf(t.name);
        if (router.setPartitions(t.name, t.partitions.length)) {
          logger.warn(
            { topic: t.name, declared: before, actual: t.partitions.length },
            "routing by the broker's partition count",
          );
        }
      }
    },
  });

  const sendLane = async (lane: number, messages: readonly RoutedMessage[]) => {
    await connected[lane];
    await sendAcknowledged(producers[lane]!, messages);
  };

  return {
    lanes: opts.producers,
    route: (message) => router.route(message),
    async send(messages) {
      const byLane = new Map<number, RoutedMessage[]>();
      for (const m of messages) {
        const routed = m.partition === undefined ? { ...m, partition: router.route(m).partition } : m;
        const lane = routed.partition! % opts.producers;
        let list = byLane.get(lane);
        if (!list) byLane.set(lane, (list = []));
        list.push(routed);
      }
      // All or nothing for the caller: every lane's send settles before the first failure is raised.
      const results = await Promise.allSettled([...byLane].map(([lane, list]) => sendLane(lane, list)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    readiness: probe.readiness,
    async close() {
      closed = true;
      await Promise.allSettled([...producers.map((p) => p.disconnect()), probe.stop()]);
    },
  };
}
