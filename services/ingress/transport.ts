// Where the ingress's messages go. The Kafka transport is the real one; tests of the HTTP layer
// pass an in-memory one through the same interface (dependency injection, not module mocks).
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from '../shared/logger.js';
import {
  connectFresh,
  createKafka,
  createProducer,
  refusedProducerState,
  sendAcknowledged,
  type KafkaConnection,
} from '../shared/kafka.js';
import { configuredSecurity, describeKafkaError, securityProblem } from '../shared/kafka-security.js';
import { keepTrying } from '../shared/retry.js';
import { topics, type OutgoingMessage, type TopicDeclaration } from '../../schemas/topics.js';
import { routedTo, type RoutedMessage } from './publisher.js';
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
  /** Whether Kafka takes writes now: it answers, and every producer is connected. */
  readiness(): Readiness;
  close(): Promise<void>;
}

/**
 * How long one attempt to connect a producer may take. A broker that answers does so within a few
 * round trips; one that hangs would otherwise hold the attempt for kafkajs's retries of 30 s
 * requests.
 */
const connectDeadlineMs = 15_000;

/**
 * A producer connected in the background, retrying with backoff, so the service starts while Kafka
 * is away. Each attempt has a new client and producer and a deadline (connectFresh): a kafkajs
 * producer whose connect hung on a stalled broker may never connect again, even once the broker
 * is back. A producer that connects after the transport closed is disconnected at once.
 */
export class ProducerLane {
  /** The producer once connected, to disconnect at close. */
  producer: Producer | undefined;
  /** Why the producer is not connected yet; undefined once it is. */
  waiting: string | undefined = 'connecting';
  /** Resolves with the connected producer; undefined if the transport closed first. */
  connected: Promise<Producer | undefined>;

  constructor(
    private readonly make: () => Producer,
    private readonly logger: Logger,
    private readonly closed: () => boolean,
  ) {
    this.connected = this.connect(make, logger, closed);
  }

  /**
   * Lets go of `failed` and connects a new producer in its place, when the broker no longer accepts
   * its idempotent state (a sequence or producer id it does not know: after a broker restart that
   * kept less than the producer saw acknowledged). Such a producer never sends again by itself.
   */
  replace(failed: Producer, err: unknown): void {
    if (this.producer !== failed) return;
    this.producer = undefined;
    this.waiting = `replaced after the broker refused its state (${(err as Error).message})`;
    this.logger.warn({ err }, 'the broker refused the Kafka producer’s state; connecting a new producer');
    void failed.disconnect().catch(() => undefined);
    this.connected = this.connect(this.make, this.logger, this.closed);
  }

  private async connect(make: () => Producer, logger: Logger, closed: () => boolean) {
    let producer: Producer;
    try {
      producer = await keepTrying(
        async () => {
          if (closed()) throw new Error('the Kafka transport is closed');
          return connectFresh(make, connectDeadlineMs);
        },
        {
          initialMs: 250,
          maxMs: 5_000,
          retryIf: () => !closed(),
          onRetry: (err, retryInMs, attempts) => {
            const why = describeKafkaError(err, configuredSecurity());
            this.waiting = `not connected: attempt ${attempts} failed (${why})`;
            logger.warn({ err: why, attempts, retryInMs }, 'Kafka producer could not connect; retrying with a new one');
          },
        },
      );
    } catch {
      return undefined; // closed: keepTrying gave up
    }
    if (closed()) {
      await producer.disconnect().catch(() => undefined);
      return undefined;
    }
    if (this.waiting !== 'connecting') logger.info('Kafka producer connected');
    this.producer = producer;
    this.waiting = undefined;
    return producer;
  }
}

/**
 * Kafka's readiness as the probe saw it, unless a producer is not connected: the probe's own client
 * answering does not mean a producer can send, and a producer that cannot connect would otherwise
 * hide behind it while its events pile up in the spool.
 */
export function withProducers(kafka: Readiness, lanes: readonly ProducerLane[]): Readiness {
  const waiting = lanes.flatMap((l, i) => (l.waiting ? [`producer ${i + 1} of ${lanes.length} ${l.waiting}`] : []));
  if (waiting.length === 0) return kafka;
  const producers = waiting.join('; ');
  return { ready: false, reason: kafka.ready ? `Kafka answers, but ${producers}` : `${kafka.reason}; ${producers}` };
}

/**
 * Asks the broker for the topic's metadata every `intervalMs`: ready while one answer came within
 * the last two intervals. Probes never overlap, so a broker that does not answer at all (rather
 * than refusing) turns readiness off as soon as the window passes.
 */
function kafkaProbe(opts: {
  connection: KafkaConnection;
  topic: string;
  intervalMs: number;
  logger: Logger;
  /** After each answer: a chance to read more metadata with the connected client (errors ignored). */
  onAnswer?: (admin: ReturnType<Kafka['admin']>) => Promise<void>;
}) {
  const { intervalMs, logger } = opts;
  const client = createKafka({ clientId: 'thena-ingress-probe', ...opts.connection, logger }).admin({
    retry: { retries: 0 },
  });
  let lastOk = 0;
  let lastError = 'connecting to Kafka';
  let probing = false;
  const security = opts.connection.security?.summary ?? configuredSecurity();
  let backoffMs = 0;
  let backoffUntil = 0;
  const probe = async () => {
    if (probing || Date.now() < backoffUntil) return;
    probing = true;
    try {
      await client.connect();
      await client.fetchTopicMetadata({ topics: [opts.topic] });
      backoffMs = 0;
      if (Date.now() - lastOk > 2 * intervalMs) logger.info('Kafka answers: ready');
      lastOk = Date.now();
      await opts.onAnswer?.(client).catch(() => undefined);
    } catch (err) {
      const why = describeKafkaError(err, security);
      if (Date.now() - lastOk <= 2 * intervalMs) logger.error({ err: why }, 'Kafka does not answer: not ready');
      lastError = `Kafka does not answer: ${why}`;
      // A refused password or certificate is not mended by asking every interval: the probe backs
      // off (up to a minute) until the settings are, and readiness says why meanwhile.
      if (securityProblem(err, security)) {
        backoffUntil = Date.now() + (backoffMs = Math.min(60_000, Math.max(intervalMs, backoffMs * 2)));
      }
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

/** After each answer of the probe: route by the broker's partition counts where they differ from the declared ones. */
const followPartitions =
  (router: PartitionRouter, topics: readonly TopicDeclaration[], logger: Logger) =>
  async (admin: ReturnType<Kafka['admin']>) => {
    const metadata = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
    for (const t of metadata.topics) {
      const before = router.partitionsOf(t.name);
      if (router.setPartitions(t.name, t.partitions.length)) {
        logger.warn(
          { topic: t.name, declared: before, actual: t.partitions.length },
          "routing by the broker's partition count",
        );
      }
    }
  };

/**
 * `producers` idempotent kafkajs producers behind `send`, each owning the partitions p with
 * p % producers = its index (kafkajs gives each one request in flight per broker), plus a probe of
 * the broker, so /readyz reflects Kafka's state even when no webhook arrives. Partitions are
 * chosen here with kafkajs's own hash, from the declared partition counts, corrected by the
 * broker's metadata once it answers. The service starts (not ready) while Kafka is away and
 * becomes ready by itself when it answers and every producer has connected.
 */
export function kafkaTransport(opts: {
  /** How to reach the cluster (kafkaConnection of the configuration). */
  connection: KafkaConnection;
  probeTopic: string;
  /** The topics the ingress writes, with the partition counts to route by until the broker answers. */
  topics: readonly TopicDeclaration[];
  producers: number;
  logger: Logger;
  probeIntervalMs?: number;
}): Transport {
  const logger = opts.logger.child({ component: 'kafka-transport' });
  const router = new PartitionRouter(opts.producers, opts.topics);
  // A client of its own for each producer and each attempt: each has its own connections (so its
  // own request in flight), and a failed attempt leaves nothing behind for the next.
  const newProducer = () => createProducer(createKafka({ clientId: 'thena-ingress', ...opts.connection, logger }));
  let closed = false;
  const lanes = Array.from({ length: opts.producers }, () => new ProducerLane(newProducer, logger, () => closed));
  const probe = kafkaProbe({
    connection: opts.connection,
    topic: opts.probeTopic,
    intervalMs: opts.probeIntervalMs ?? 2000,
    logger,
    onAnswer: followPartitions(router, opts.topics, logger),
  });

  const sendLane = async (lane: number, messages: readonly RoutedMessage[]) => {
    const producer = await lanes[lane]!.connected;
    if (!producer) throw new Error('the Kafka transport is closed');
    await sendAcknowledged(producer, messages).catch((err: unknown) => {
      if (refusedProducerState(err)) lanes[lane]!.replace(producer, err);
      throw err;
    });
  };

  return {
    lanes: opts.producers,
    route: (message) => router.route(message),
    async send(messages) {
      const byLane = new Map<number, RoutedMessage[]>();
      for (const m of messages) {
        const routed = m.partition === undefined ? routedTo(m, router.route(m).partition) : m;
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
    readiness: () => withProducers(probe.readiness(), lanes),
    async close() {
      closed = true;
      // A producer still connecting is let go by its lane when its attempt ends.
      await Promise.allSettled([...lanes.map((l) => l.producer?.disconnect()), probe.stop()]);
    },
  };
}
