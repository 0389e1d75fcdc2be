// The Kafka of a test pipeline (pipeline.ts): one node, as `npm start` runs it, or a cluster of
// three (infra/kafka/cluster.ts) for the faults of a lost broker. Either can be stopped, started
// again on its storage, or paused with SIGSTOP.
import { startKafka, type KafkaOptions, type LocalKafka } from '../../infra/kafka/kafka.js';
import { startKafkaCluster, type LocalCluster } from '../../infra/kafka/cluster.js';

export interface PipelineKafkaOptions {
  dataDir: string;
  /** The first node's listener; a cluster's node i listens on port + 2i, its controller one above. */
  port: number;
  controllerPort: number;
  jvm: KafkaOptions['jvm'];
  /** Three nodes instead of one. */
  cluster: boolean;
}

export class PipelineKafka {
  private single: LocalKafka | undefined;
  private nodes: LocalCluster | undefined;
  /** SIGSTOP was sent (pause): the JVMs hold their connections open and answer nothing. */
  private paused = false;

  constructor(private readonly o: PipelineKafkaOptions) {}

  /** Every node's listener, whether or not it runs. */
  get brokers(): string[] {
    const { port, cluster } = this.o;
    return (cluster ? [0, 1, 2] : [0]).map((i) => `127.0.0.1:${port + 2 * i}`);
  }

  /** The cluster's nodes, to kill one; undefined for a single node. */
  get cluster(): LocalCluster | undefined {
    return this.nodes;
  }

  /** Process ids of the running JVMs. */
  pids(): number[] {
    if (this.single) return [this.single.process.pid];
    return this.nodes ? this.nodes.nodes.flatMap((n) => (n.pid === undefined ? [] : [n.pid])) : [];
  }

  /** Starts every node (from empty storage when `fresh`); resolves once each answers. */
  async start(fresh = false): Promise<void> {
    const { dataDir, port, controllerPort, jvm } = this.o;
    if (!this.o.cluster) {
      this.single = await startKafka({ jvm, dataDir, port, controllerPort, fresh });
    } else if (fresh || !this.nodes) {
      const ports = [0, 1, 2].map((i) => ({ port: port + 2 * i, controllerPort: controllerPort + 2 * i }));
      this.nodes = await startKafkaCluster({ dataDir, ports, ...(jvm ? { jvm } : {}) });
    } else {
      await Promise.all(this.nodes.nodes.filter((n) => !n.running).map((n) => n.start()));
    }
  }

  /** SIGSTOP to every JVM: as a stalled broker or a network partition looks to a client. */
  pause(): void {
    const pids = this.pids();
    if (pids.length === 0) throw new Error('Kafka is not running');
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    this.paused = true;
  }

  /** SIGCONT: the paused JVMs go on where they stopped. */
  resume(): void {
    if (this.paused) for (const pid of this.pids()) process.kill(pid, 'SIGCONT');
    this.paused = false;
  }

  async stop(): Promise<void> {
    // A stopped JVM handles no SIGTERM: resume it first, or the stop waits for its SIGKILL.
    this.resume();
    await this.single?.stop();
    this.single = undefined;
    await this.nodes?.stop();
  }
}
