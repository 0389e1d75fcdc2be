// A single-node Apache Kafka (KRaft: broker and controller in one JVM) bound to 127.0.0.1, run
// from Kafka's own jars on Maven Central. No Docker, no tarball: `installKafka` asks Maven for the
// jars pinned in pom.xml and caches them under .local/, so only the first start downloads.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { localDir, repoRoot } from '../local/paths.js';
import {
  assertPortsFree,
  killStale,
  run,
  startProcess,
  waitUntilReady,
  type ManagedProcess,
} from '../local/process.js';

const here = join(repoRoot, 'infra/kafka');

export const kafkaVersion = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(
  readFileSync(join(here, 'pom.xml'), 'utf8'),
)![1]!;
const libDir = join(localDir, `kafka-${kafkaVersion}`, 'lib');

// One jar of each artifact pom.xml lists: a folder from before an artifact was added is topped up.
const markers = [`kafka_2.13-${kafkaVersion}.jar`, `kafka-tools-${kafkaVersion}.jar`].map((jar) => join(libDir, jar));

/** Downloads Kafka's jars (broker and tools) once (Maven, ~50 MB); later calls return at once. */
export async function installKafka(): Promise<string> {
  if (markers.every((m) => existsSync(m))) return libDir;
  await run('mvn', [
    '-B',
    '-q',
    '-f',
    join(here, 'pom.xml'),
    'dependency:copy-dependencies',
    `-DoutputDirectory=${libDir}`,
    '-DincludeScope=runtime',
  ]);
  const missing = markers.filter((m) => !existsSync(m));
  if (missing.length > 0) throw new Error(`Maven finished but ${missing.join(', ')} is missing`);
  return libDir;
}

export interface KafkaOptions {
  /** Where the broker keeps its log segments and metadata; reused across restarts. */
  dataDir: string;
  port: number;
  controllerPort: number;
  /** JVM heap; the default suits a 2-core, few-GiB test machine. */
  heap?: string;
  /** Start from empty storage (tests); otherwise topics and offsets survive restarts. */
  fresh?: boolean;
  /**
   * `server` (the default): the JVM as Kafka's own scripts run it, both JIT compilers and G1.
   * `short-lived`: the client compiler only and the serial collector, for a broker that lives for
   * one test file. It never runs long enough to repay the server compiler: measured on the 2-core
   * machine, 6.4 CPU-s from format to ready instead of 3.8 s. Benchmarks keep `server`, so a
   * figure measured against the broker is not one against a slower broker.
   */
  jvm?: 'server' | 'short-lived';
  /** Listeners with TLS and SASL beside the plaintext one (tests of a secured cluster). */
  secured?: SecuredListeners;
  /** One node of a cluster (cluster.ts): its id, the cluster's id and every node's controller port. */
  cluster?: { nodeId: number; clusterId: string; controllerPorts: number[] };
}

/** A node's identity and the replication its internal topics get: one node, or a cluster of several. */
function nodeProperties(o: KafkaOptions): string[] {
  const c = o.cluster;
  const voters = (c?.controllerPorts ?? [o.controllerPort]).map((port, i) => `${i + 1}@127.0.0.1:${port}`);
  // A cluster as production runs it: three copies, two in sync for a write (docs/operations.md).
  const [replicas, isr] = c ? [Math.min(3, c.controllerPorts.length), 2] : [1, 1];
  return [
    `node.id=${c?.nodeId ?? 1}`,
    `controller.quorum.voters=${voters.join(',')}`,
    ...(c ? [`default.replication.factor=${replicas}`, `min.insync.replicas=${isr}`] : []),
    `offsets.topic.replication.factor=${replicas}`,
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${isr}`,
    `share.coordinator.state.topic.replication.factor=${replicas}`,
    `share.coordinator.state.topic.min.isr=${isr}`,
  ];
}

/**
 * A SASL_SSL listener that takes PLAIN, SCRAM-SHA-512 (the users' credentials are written when the
 * storage is formatted) and OAUTHBEARER in Kafka's unsecured mode (unsigned tokens, for tests), and
 * an SSL listener that requires a client certificate (mTLS). Both present `keystore` (a PEM key and
 * certificate) and trust `truststore` (a PEM CA).
 */
export interface SecuredListeners {
  saslSslPort: number;
  mtlsPort: number;
  keystore: string;
  truststore: string;
  users: { name: string; password: string }[];
  /** connections.max.reauth.ms of the SASL listener: a session re-authenticates within this long. */
  reauthMs?: number;
}

/** The server.properties lines of the secured listeners (see SecuredListeners). */
function securedProperties(s: SecuredListeners): string[] {
  const jaas = (module: string, options = '') => `${module} required${options};`;
  const plainUsers = s.users.map((u) => ` user_${u.name}="${u.password}"`).join('');
  return [
    'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512,OAUTHBEARER',
    `listener.name.sasl_ssl.plain.sasl.jaas.config=${jaas('org.apache.kafka.common.security.plain.PlainLoginModule', plainUsers)}`,
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas('org.apache.kafka.common.security.scram.ScramLoginModule')}`,
    // With no validator configured, Kafka checks OAUTHBEARER tokens in its unsecured mode: unsigned
    // JWTs (alg none) whose exp and sub it reads.
    `listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=${jaas('org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule', ' unsecuredLoginStringClaim_sub="broker"')}`,
    // Per listener and mechanism, as Kafka reads it (KIP-368).
    ...(s.reauthMs
      ? ['plain', 'scram-sha-512', 'oauthbearer'].map(
          (m) => `listener.name.sasl_ssl.${m}.connections.max.reauth.ms=${s.reauthMs}`,
        )
      : []),
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${s.keystore}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${s.truststore}`,
    'listener.name.mtls.ssl.client.auth=required',
  ];
}

/** The `--add-scram` arguments that give the users SCRAM-SHA-512 credentials at format time. */
const scramArguments = (s: SecuredListeners | undefined): string[] =>
  (s?.users ?? []).flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.name},password=${u.password}]`]);

/** The JVM flags of each `jvm` choice, for the broker and the storage tool. */
const jvmFlags = (jvm: KafkaOptions['jvm'] = 'server'): string[] =>
  jvm === 'short-lived' ? ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'] : ['-XX:+UseG1GC'];

export interface LocalKafka {
  readonly brokers: string[];
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

export function serverProperties(o: KafkaOptions): string {
  const s = o.secured;
  const listeners = [
    `PLAINTEXT://127.0.0.1:${o.port}`,
    ...(s ? [`SASL_SSL://127.0.0.1:${s.saslSslPort}`, `MTLS://127.0.0.1:${s.mtlsPort}`] : []),
  ];
  return [
    'process.roles=broker,controller',
    ...nodeProperties(o),
    `listeners=${[...listeners, `CONTROLLER://127.0.0.1:${o.controllerPort}`].join(',')}`,
    `advertised.listeners=${listeners.join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${s ? ',SASL_SSL:SASL_SSL,MTLS:SSL' : ''}`,
    ...(s ? securedProperties(s) : []),
    `log.dirs=${join(o.dataDir, 'state')}`,
    // Topics are created explicitly by the pipeline (see services/shared/topics.ts).
    'auto.create.topics.enable=false',
    'num.partitions=1',
    'offsets.topic.num.partitions=10',
    // A single local node: no reason to delay the first rebalance.
    'group.initial.rebalance.delay.ms=0',
    // Sessions shorter than the default minimum (6 s) for tests whose consumers die often.
    'group.min.session.timeout.ms=1000',
    // Room for the ingress's 4 MiB bodies in their envelope.
    'message.max.bytes=8388608',
    '',
  ].join('\n');
}

/**
 * A KRaft cluster id: 16 random bytes in URL-safe base64 (22 characters). One draw in 64 would
 * start with '-', which a command line reads as an option; like Kafka's own generator, draw again.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Formats the broker's storage for `clusterId`, whatever characters the id holds. */
export async function formatStorage(
  propertiesFile: string,
  clusterId: string,
  jvm: KafkaOptions['jvm'] = 'server',
  secured?: SecuredListeners,
): Promise<void> {
  const lib = await installKafka();
  // `--cluster-id=<id>` is one argument: no id can be taken for an option or a missing value.
  await run('java', [
    ...jvmFlags(jvm),
    '-cp',
    `${lib}/*`,
    'kafka.tools.StorageTool',
    'format',
    `--cluster-id=${clusterId}`,
    '--config',
    propertiesFile,
    ...scramArguments(secured),
  ]);
}

/** Answers true once the broker serves metadata to a client. */
export async function kafkaAnswers(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'readiness-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Formats the storage on first use, starts the broker, and resolves once it answers a metadata
 * request. Rejects with the log file's path if it exits or is not ready within two minutes.
 */
export async function startKafka(o: KafkaOptions): Promise<LocalKafka> {
  const lib = await installKafka();
  const pidFile = join(o.dataDir, 'kafka.pid');
  killStale(pidFile);
  await assertPortsFree('kafka', [
    o.port,
    o.controllerPort,
    ...(o.secured ? [o.secured.saslSslPort, o.secured.mtlsPort] : []),
  ]);
  if (o.fresh) rmSync(join(o.dataDir, 'state'), { recursive: true, force: true });
  mkdirSync(o.dataDir, { recursive: true });
  const props = join(o.dataDir, 'server.properties');
  writeFileSync(props, serverProperties(o));
  const classpath = `${lib}/*`;
  if (!existsSync(join(o.dataDir, 'state', 'meta.properties')))
    await formatStorage(props, o.cluster?.clusterId ?? newClusterId(), o.jvm, o.secured);
  const heap = o.heap ?? '768m';
  const proc = startProcess({
    name: `kafka (127.0.0.1:${o.port})`,
    command: 'java',
    args: [
      `-Xms${heap}`,
      `-Xmx${heap}`,
      ...jvmFlags(o.jvm),
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(here, 'log4j2.yaml')}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      props,
    ],
    logFile: join(o.dataDir, 'kafka.log'),
    pidFile,
    ownProcessGroup: true,
  });
  const brokers = [`127.0.0.1:${o.port}`];
  await waitUntilReady(proc, () => kafkaAnswers(brokers), 120_000);
  return { brokers, process: proc, stop: () => proc.stop() };
}
