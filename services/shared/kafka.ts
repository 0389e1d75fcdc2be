// The kafkajs client every service uses: logs go through pino, retries stay bounded.
import { gunzipSync, gzipSync } from 'node:zlib';
import kafkajs, {
  CompressionTypes,
  Kafka,
  Partitioners,
  logLevel,
  type Admin,
  type LogEntry,
  type Message,
  type logCreator,
  type Producer,
} from 'kafkajs';
import type { Logger } from './logger.js';
import {
  configuredSecurity,
  kafkaSecurity,
  securityProblem,
  type KafkaSecurity,
  type OAuthOverrides,
  type SecurityConfig,
} from './kafka-security.js';
import type { OutgoingMessage, TopicDeclaration } from '../../schemas/topics.js';

function pinoLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      if (level === logLevel.ERROR) child.error(extra, message);
      else if (level === logLevel.WARN) child.warn(extra, message);
      else if (level === logLevel.INFO) child.info(extra, message);
      else child.debug(extra, message);
    };
}

// kafkajs's GZIP codec compresses each partition's batch at zlib's default level 6 on libuv's
// thread pool. Measured here (25 webhooks of 2.3 KB over 6 partitions, acks=all): 7.1 ms a
// batch; at level 1 done synchronously, 4.2 ms. A partition's batch is a few tens of kB, which
// level 1 compresses in well under a millisecond, less than the thread-pool round trips cost.
// Consumers decompress in-line for the same reason (request-csat catching up: 5.1k -> 6.6k events/s).
// (kafkajs ships no other codec; Snappy, LZ4 and ZSTD need native add-ons.)
kafkajs.CompressionCodecs[CompressionTypes.GZIP] = () => ({
  compress: async (encoder: { buffer: Buffer }) => gzipSync(encoder.buffer, { level: 1 }),
  decompress: async (buffer: Buffer) => gunzipSync(buffer),
});

/** How to reach the cluster: every Kafka client of a service is made from the same one. */
export interface KafkaConnection {
  brokers: string[];
  /** KAFKA_REQUEST_TIMEOUT_MS; 30 s when unset. */
  requestTimeoutMs?: number;
  /** TLS and SASL (kafka-security.ts); plaintext without credentials when unset. */
  security?: KafkaSecurity;
}

/**
 * The connection the configuration describes. Throws ConfigError for TLS or SASL settings that
 * cannot work (kafkaSecurity). `oauth` swaps Google's OAUTHBEARER tokens for a test's.
 */
export const kafkaConnection = (
  config: { KAFKA_BROKERS: string[]; KAFKA_REQUEST_TIMEOUT_MS: number } & SecurityConfig,
  oauth?: OAuthOverrides,
): KafkaConnection => ({
  brokers: config.KAFKA_BROKERS,
  requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS,
  security: kafkaSecurity(config, oauth),
});

/**
 * kafkajs re-authenticates a connection this long before its SASL session ends (the broker's
 * `connections.max.reauth.ms`, or the token's expiry). kafkajs's 10 s would re-authenticate at
 * every request with tokens that live 10 s; a third of that leaves each session most of its life.
 */
const reauthenticationThresholdMs = 3_000;

export function createKafka(opts: { clientId: string; logger: Logger } & KafkaConnection): Kafka {
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    ...(opts.security?.ssl ? { ssl: opts.security.ssl } : {}),
    ...(opts.security?.sasl ? { sasl: opts.security.sasl } : {}),
    reauthenticationThreshold: reauthenticationThresholdMs,
    logLevel: logLevel.INFO,
    logCreator: pinoLogCreator(opts.logger),
    connectionTimeout: 3000,
    requestTimeout: opts.requestTimeoutMs ?? 30_000,
    retry: { initialRetryTime: 300, retries: 8 },
  });
}

/**
 * A client for a command (rebuild, redrive, backfill, erase, topic creation), once one request
 * through it has shown that the settings work. A wrong password, a CA that does not match or a
 * plaintext client at a TLS listener ends the command at once with what to change (kafkajs would
 * retry a closed connection for over a minute first); any other failure, a broker that is
 * restarting say, is left to the command's own retries.
 */
export async function commandKafka(opts: { clientId: string; logger: Logger } & KafkaConnection): Promise<Kafka> {
  const kafka = createKafka(opts);
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    const problem = securityProblem(err, opts.security?.summary ?? configuredSecurity());
    if (problem) throw new Error(problem, { cause: err });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return kafka;
}

/**
 * A consumer's `retry` option: kafkajs's own (five retries) that never restarts a consumer once
 * `stopping()` says it is being stopped. kafkajs restarts a consumer whose run failed with a
 * retriable error 300 ms later, and a stop() that lands while the group is rejoining makes it
 * fail so ("No broker available", the connections being closed): the restarted consumer joins
 * again, waits out its own old member's session, and the service's shutdown waited 12–20 s for
 * it after a Kafka restart.
 */
export const consumerRetry = (stopping: () => boolean) => ({
  retries: 5,
  restartOnFailure: () => Promise.resolve(!stopping()),
});

/** A kafkajs producer, consumer or admin, as far as connecting goes. */
interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Connects a client made by `make` for this attempt alone (a new Kafka and a new producer, say),
 * within `deadlineMs`; on failure or at the deadline, disconnects it (waiting at most 5 s) and
 * throws, so the caller's next attempt starts from nothing. kafkajs cannot be trusted to retry a
 * client whose connect hung: when the broker stalls (stopped, partitioned) rather than refuses, the
 * socket opens, the first request times out, and the client keeps that socket as "connected"
 * without what the first answer carries. Every later call then fails with "Broker not connected"
 * until the broker drops the idle socket (10 minutes by default), whether Kafka is back or not.
 */
export async function connectFresh<C extends Connectable>(make: () => C, deadlineMs: number): Promise<C> {
  const client = make();
  const connecting = client.connect();
  try {
    await within(connecting, deadlineMs, `Kafka did not answer within ${deadlineMs / 1000} s`);
    return client;
  } catch (err) {
    // A connect left running may still succeed later: let go of that client then too.
    void connecting.then(
      () => client.disconnect().catch(() => undefined),
      () => undefined,
    );
    await within(client.disconnect(), 5_000, 'disconnecting').catch(() => undefined);
    throw err;
  }
}

/** `promise`, or a rejection with `message` once `ms` have passed. */
async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * An idempotent producer (acks=all is set per send): the broker drops a retried batch it already
 * has, so retries cannot duplicate or reorder messages of a partition. kafkajs retries such a
 * producer without end while the broker is away; callers put their own deadline around sends.
 * Messages with the same key go to the same partition (murmur2, as the Java client does).
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5_000 },
  });
}

/** Broker answers after which an idempotent producer's state is no longer the broker's. */
const producerStateErrors = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
]);

/** Whether a send failed because the broker refused the producer's idempotent state (kafkajs may wrap it). */
export function refusedProducerState(err: unknown): boolean {
  let e = err as { type?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 10; depth++, e = e.cause as typeof e) {
    if (typeof e.type === 'string' && producerStateErrors.has(e.type)) return true;
  }
  return false;
}

/**
 * Sends messages for any topics in one GZIP batch; resolves once all in-sync replicas have them.
 * A message with a `partition` goes there; one without goes where its key hashes to.
 */
export async function sendAcknowledged(
  producer: Producer,
  messages: readonly (OutgoingMessage & { partition?: number })[],
): Promise<void> {
  const byTopic = new Map<string, Message[]>();
  for (const { topic, key, value, headers, partition } of messages) {
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push(partition === undefined ? { key, value, headers } : { key, value, headers, partition });
  }
  await producer.sendBatch({
    acks: -1,
    compression: CompressionTypes.GZIP,
    topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })),
  });
}

/**
 * Creates each declared topic that does not exist yet, with its partitions and configuration, and
 * brings the declared configuration of existing ones up to date (a retention raised in the
 * declaration reaches a running cluster). Partitions are never changed. Resolves once the broker
 * reports them all; returns the topics created, the settings altered, and a warning for each topic
 * with fewer copies than a cluster of three brokers or more should give it (underReplicated).
 */
export async function ensureTopics(
  kafka: Kafka,
  declarations: readonly TopicDeclaration[],
): Promise<{ created: string[]; altered: string[]; warnings: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = declarations.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    const altered = await alignTopicConfigs(
      admin,
      declarations.filter((t) => existing.has(t.name)),
    );
    const warnings = await underReplicated(admin, declarations);
    return { created: missing.map((t) => t.name), altered, warnings };
  } finally {
    await admin.disconnect();
  }
}

/**
 * The declarations leave the replication factor to the cluster (default.replication.factor), which
 * is 1 unless someone set it: on a cluster of three brokers or more, a topic with one copy loses
 * its events with its broker. One warning per such topic, with the fix.
 */
async function underReplicated(admin: Admin, declarations: readonly TopicDeclaration[]): Promise<string[]> {
  const { brokers } = await admin.describeCluster();
  if (brokers.length < 3) return [];
  const { topics } = await admin.fetchTopicMetadata({ topics: declarations.map((t) => t.name) });
  return topics.flatMap(({ name, partitions }) => {
    const replicas = Math.min(...partitions.map((p) => p.replicas.length));
    if (replicas > 1) return [];
    return [
      `topic ${name} has ${replicas} replica on a cluster of ${brokers.length} brokers: losing one broker loses its ` +
        'events. Give it three (kafka-reassign-partitions) and set default.replication.factor=3 and ' +
        'min.insync.replicas=2 on the brokers (docs/operations.md, "Connecting to a secured Kafka")',
    ];
  });
}

// Not among the names Node finds in kafkajs's CommonJS exports: read from the default export.
const { ConfigResourceTypes } = kafkajs;

/** DescribeConfigs' source of a setting made on the topic itself (Kafka's DYNAMIC_TOPIC_CONFIG). */
const dynamicTopicConfig = 1;

/** Sets each declared setting whose live value differs; returns them as "topic: name=value". */
async function alignTopicConfigs(admin: Admin, topics: readonly TopicDeclaration[]): Promise<string[]> {
  if (topics.length === 0) return [];
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.name })),
  });
  const altered: string[] = [];
  for (const resource of described.resources) {
    const declared = topics.find((t) => t.name === resource.resourceName)!.config;
    const live = new Map(resource.configEntries.map((e) => [e.configName, e.configValue]));
    const changes = Object.entries(declared).filter(([name, value]) => live.get(name) !== value);
    if (changes.length === 0) continue;
    // AlterConfigs replaces a topic's whole set of settings (kafkajs has no incremental call): send
    // the settings made on the topic so far with the declared ones over them, so an operator's stay.
    const setOnTopic = resource.configEntries
      .filter((e) => e.configSource === dynamicTopicConfig)
      .map((e) => [e.configName, e.configValue] as const);
    const merged = { ...Object.fromEntries(setOnTopic), ...declared };
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: resource.resourceName,
          configEntries: Object.entries(merged).map(([name, value]) => ({ name, value })),
        },
      ],
    });
    altered.push(...changes.map(([name, value]) => `${resource.resourceName}: ${name}=${value}`));
  }
  return altered;
}
