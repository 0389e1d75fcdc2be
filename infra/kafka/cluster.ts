// A KRaft cluster on this machine: several nodes, each broker and controller in a JVM of its own
// from the same jars (kafka.ts), one cluster id, a static quorum of every node's controller. Its
// internal topics and the topics it creates without a stated factor get three replicas, two of
// them in sync for a write: the settings docs/operations.md gives for production. For tests of
// replication, leader changes and a lost controller; `npm start` stays one node.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newClusterId, startKafka, type KafkaOptions, type LocalKafka } from './kafka.js';

export interface ClusterNode {
  /** Kafka's node.id: 1, 2, 3 … */
  readonly id: number;
  readonly broker: string;
  /** Whether its JVM is running (started and neither stopped nor killed since). */
  readonly running: boolean;
  /** Its JVM's process id while it runs. */
  readonly pid: number | undefined;
  /** Starts it again on the storage it had; resolves once it answers. */
  start(): Promise<void>;
  /** SIGKILL: a machine lost. */
  kill(): Promise<void>;
  /** SIGTERM: a controlled shutdown. */
  stop(): Promise<void>;
}

export interface LocalCluster {
  /** Every node's listener, for KAFKA_BROKERS. */
  readonly brokers: string[];
  readonly nodes: readonly ClusterNode[];
  /**
   * The node id of the quorum's leader (the active controller) as the nodes last recorded it: the
   * newest epoch among their `quorum-state` files. Undefined before any node has recorded one.
   */
  activeController(): number | undefined;
  stop(): Promise<void>;
}

/** The newest quorum leader the nodes in `dataDirs` recorded in their `quorum-state` files. */
function quorumLeader(dataDirs: string[]): number | undefined {
  const states = dataDirs.flatMap((dir) => {
    const file = join(dir, 'state', '__cluster_metadata-0', 'quorum-state');
    if (!existsSync(file)) return [];
    const s = JSON.parse(readFileSync(file, 'utf8')) as { leaderId: number; leaderEpoch: number };
    return s.leaderId > 0 ? [s] : [];
  });
  return states.sort((a, b) => b.leaderEpoch - a.leaderEpoch)[0]?.leaderId;
}

/**
 * Starts a fresh cluster of `ports.length` nodes (at least three), all at once: a node answers only
 * once a majority of the quorum is up. Resolves when every node answers.
 */
export async function startKafkaCluster(o: {
  dataDir: string;
  ports: { port: number; controllerPort: number }[];
  jvm?: KafkaOptions['jvm'];
  heap?: string;
}): Promise<LocalCluster> {
  if (o.ports.length < 3) throw new Error('a cluster needs three nodes or more');
  const clusterId = newClusterId();
  const controllerPorts = o.ports.map((p) => p.controllerPort);
  const options = (i: number, fresh: boolean): KafkaOptions => ({
    dataDir: join(o.dataDir, `node-${i + 1}`),
    ...o.ports[i]!,
    fresh,
    heap: o.heap ?? '512m',
    ...(o.jvm ? { jvm: o.jvm } : {}),
    cluster: { nodeId: i + 1, clusterId, controllerPorts },
  });
  const nodes = o.ports.map((p, i) => {
    let kafka: LocalKafka | undefined;
    return {
      id: i + 1,
      broker: `127.0.0.1:${p.port}`,
      get running() {
        return kafka !== undefined;
      },
      get pid() {
        return kafka?.process.pid;
      },
      async start(fresh = false) {
        if (kafka) throw new Error(`node ${i + 1} is already running`);
        kafka = await startKafka(options(i, fresh));
      },
      async kill() {
        const k = kafka;
        kafka = undefined;
        await k?.process.kill();
      },
      async stop() {
        const k = kafka;
        kafka = undefined;
        await k?.stop();
      },
    };
  });
  const started = await Promise.allSettled(nodes.map((n) => n.start(true)));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    throw failed.reason;
  }
  return {
    brokers: nodes.map((n) => n.broker),
    nodes,
    activeController: () => quorumLeader(o.ports.map((_, i) => options(i, false).dataDir)),
    stop: async () => void (await Promise.allSettled(nodes.map((n) => n.stop()))),
  };
}
