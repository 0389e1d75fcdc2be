// The whole pipeline on this machine for fault tests and the soak run: a Kafka broker and a
// BigQuery emulator of its own (fresh state), the ingress with its spool, and the five consumer
// services writing both sinks, each a separate process started the way `npm start` starts them.
// Every piece can be stopped, killed with SIGKILL and started again.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaOptions } from '../../infra/kafka/kafka.js';
import type { LocalCluster } from '../../infra/kafka/cluster.js';
import { PipelineKafka } from './pipeline-kafka.js';
import { emulatorAppendMaxBytes, startEmulator, type LocalEmulator } from '../../infra/bigquery-emulator/emulator.js';
import { startFakeGcs, type LocalFakeGcs } from '../../infra/gcs/fake-gcs.js';
import { openStore, parseLakeLocation, type LakeStore } from '../../services/lake/index.js';
import { localDir, repoRoot } from '../../infra/local/paths.js';
import { startProcess, type ManagedProcess } from '../../infra/local/process.js';
import { eachCommitsAgain, Service } from './service.js';
import { serviceArgs } from './build.js';
import { startMigratedEmulator } from './emulator-template.js';

export { Service };
import { topics } from '../../schemas/topics.js';
import { catalogue } from '../../tables/catalogue.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { migrate } from '../../services/bigquery/index.js';
import { createKafka, ensureTopics } from '../../services/shared/kafka.js';
import { afterAll, beforeAll } from 'vitest';
import { quietLogger } from './lake.js';
import { WebhookLoad, type LoadOptions } from './load.js';
import type { BigQuery } from '@google-cloud/bigquery';

/**
 * The consumer service of every table fed by what the fault suite sends: request webhooks and
 * their rejections. The platform tables' services read a topic this load never writes; left out,
 * they spare the two cores four idle processes (their own tests run them).
 */
export const consumerNames = catalogue
  .filter((t) => t.consumer.topic === topics.requestEvents.name || t.consumer.topic === topics.deadLetter.name)
  .map((t) => t.consumer.service);

export interface PipelinePorts {
  kafka: number;
  kafkaController: number;
  emulator: number;
  emulatorGrpc: number;
  ingress: number;
  /** Consumer metrics ports are taken from here up: two per service (a second instance each). */
  consumerMetricsBase: number;
  /** fake-gcs-server, when the lake is in a bucket. */
  gcs: number;
}

export interface PipelineOptions {
  /** Names the folder under .local/test/ for state and logs. */
  name: string;
  /** State and logs here instead of .local/test/<name> (a benchmark's own folder). */
  dir?: string;
  ports: PipelinePorts;
  /** Extra variables for every service. */
  env?: Record<string, string>;
  /**
   * Restart a service that exits on its own after 2 s, as `npm start` and compose's restart policy
   * do. Crashes are counted either way (Service.crashes).
   */
  supervise?: boolean;
  /**
   * The lake in a bucket on a fake-gcs-server of the pipeline's own, as several machines would
   * share it: each consumer instance with a scratch folder of its own. Otherwise a local folder.
   */
  bucket?: boolean;
  /** The platform tables' consumer services too, for tests that send platform events. */
  platform?: boolean;
  /**
   * A module the first instance of one consumer service imports before it starts (`node --import`):
   * a fault the test plants in it, such as a flattener that throws. The second instance never has it.
   */
  preload?: { service: string; module: string };
  /** The broker's JVM (infra/kafka/kafka.ts): short-lived for a test file, `server` for a benchmark. */
  jvm?: KafkaOptions['jvm'];
  /** Three Kafka nodes (ports kafka + 2i, kafkaController + 2i) instead of one. */
  cluster?: boolean;
}

export class Pipeline {
  readonly dir: string;
  readonly lakeDir: string;
  /** The lake as readers open it: the local folder, or the bucket's store. */
  readonly lake: string | LakeStore;
  readonly spoolDir: string;
  readonly logDir: string;
  readonly project = 'faults-project';
  readonly dataset = 'thena_lake';
  readonly token = 'Bearer pipeline-test-token';
  readonly ingress: Service;
  /** Two slots per consumer service: [0] always runs, [1] is a second instance for rebalance tests. */
  private readonly consumers = new Map<string, [Service, Service]>();
  /** The consumer services this pipeline runs. */
  readonly consumerNames: readonly string[];
  readonly bq: BigQuery;
  /** What every service of this pipeline is configured with. */
  readonly env: Record<string, string>;
  private readonly kafka: PipelineKafka;
  private emulator: LocalEmulator | undefined;
  private gcs: LocalFakeGcs | undefined;

  private constructor(readonly options: PipelineOptions) {
    const { ports } = options;
    this.dir = options.dir ?? join(localDir, 'test', options.name);
    this.lakeDir = join(this.dir, 'lake');
    this.spoolDir = join(this.dir, 'spool');
    this.logDir = join(this.dir, 'logs');
    this.kafka = new PipelineKafka({
      dataDir: join(this.dir, 'kafka'),
      port: ports.kafka,
      controllerPort: ports.kafkaController,
      jvm: options.jvm ?? 'short-lived',
      cluster: options.cluster ?? false,
    });
    const env = (this.env = {
      HOST: '127.0.0.1',
      KAFKA_BROKERS: this.kafka.brokers.join(','),
      BIGQUERY_PROJECT: this.project,
      BIGQUERY_DATASET: this.dataset,
      BIGQUERY_API_ENDPOINT: `http://127.0.0.1:${ports.emulator}`,
      BIGQUERY_STORAGE_API_ENDPOINT: `127.0.0.1:${ports.emulatorGrpc}`,
      BIGQUERY_APPEND_MAX_BYTES: String(emulatorAppendMaxBytes),
      LAKE_DIR: this.lakeDir,
      LOG_LEVEL: 'info',
      ...(options.bucket
        ? { LAKE_DIR: 'gs://pipeline-lake/lake', GCS_API_ENDPOINT: `http://127.0.0.1:${ports.gcs}` }
        : {}),
      ...options.env,
    });
    this.lake = options.bucket
      ? openStore(parseLakeLocation(env.LAKE_DIR, env.GCS_API_ENDPOINT), {
          scratchDir: join(this.dir, 'scratch', 'tests'),
        })
      : this.lakeDir;
    const launch =
      (name: string, entry: string, args: string[], extra: Record<string, string>, preload: string[] = []) =>
      (n: number) =>
        startProcess({
          name,
          command: process.execPath,
          // From the build; an instance with a module planted in it runs from the sources under tsx,
          // since the module patches the source modules it imports.
          args: [
            ...(preload.length > 0
              ? ['--import', 'tsx', ...preload.flatMap((m) => ['--import', m]), join(repoRoot, 'services', entry)]
              : serviceArgs(entry)),
            ...args,
          ],
          env: { ...env, ...extra },
          logFile: join(this.logDir, `${name}.${n}.log`),
        });
    this.ingress = new Service(
      'ingress',
      launch('ingress', 'ingress/main.ts', [], {
        PORT: String(ports.ingress),
        INGRESS_AUTH_TOKENS: this.token,
        INGRESS_SPOOL_DIR: this.spoolDir,
        INGRESS_PUBLISH_TIMEOUT_MS: '2000',
      }),
      `http://127.0.0.1:${ports.ingress}`,
      options.supervise ?? false,
    );
    const consumer = (name: string, index: number, instance: 0 | 1) => {
      const port = ports.consumerMetricsBase + index * 2 + instance;
      const preload = options.preload?.service === name && instance === 0 ? [options.preload.module] : [];
      return new Service(
        `${name}#${instance}`,
        launch(
          `${name}-${instance}`,
          'consumers/main.ts',
          [name],
          {
            METRICS_PORT: String(port),
            // Each instance a machine of its own: its own scratch folder for files on their way up.
            LAKE_SCRATCH_DIR: join(this.dir, 'scratch', `${name}-${instance}`),
          },
          preload,
        ),
        `http://127.0.0.1:${port}`,
        options.supervise ?? false,
      );
    };
    this.consumerNames = options.platform ? catalogue.map((t) => t.consumer.service) : consumerNames;
    this.consumerNames.forEach((name, i) => this.consumers.set(name, [consumer(name, i, 0), consumer(name, i, 1)]));
    this.bq = createBigQuery({ BIGQUERY_PROJECT: this.project, BIGQUERY_API_ENDPOINT: env.BIGQUERY_API_ENDPOINT })!;
  }

  /** One instance of a consumer service: [0] always runs, [1] is a second one for rebalance tests. */
  consumer(name: string, instance: 0 | 1 = 0): Service {
    const service = this.consumers.get(name)?.[instance];
    if (!service) throw new Error(`no consumer service named ${name}`);
    return service;
  }

  get ingressUrl(): string {
    return `http://127.0.0.1:${this.options.ports.ingress}`;
  }

  get brokers(): string[] {
    return this.kafka.brokers;
  }

  /** Fresh state, then the broker and the emulator, the topics, the ingress and one instance of each consumer. */
  static async start(options: PipelineOptions): Promise<Pipeline> {
    const p = new Pipeline(options);
    rmSync(p.dir, { recursive: true, force: true });
    mkdirSync(p.lakeDir, { recursive: true });
    try {
      // The dataset is migrated before any service starts, while the broker starts, as `npm run
      // migrate` would before a deployment: every consumer then finds it at the declaration with
      // one call and all start at once. (Migrating at a service's own start is npm start's way,
      // tested by npm-start.faults.test.ts.) A test file's pipeline copies a state migrated
      // once (test/support/emulator-template.ts); a benchmark's migrates its own.
      const migration = { dataset: p.dataset, location: 'US' };
      const started = await Promise.allSettled([
        p.startKafka(true),
        options.dir === undefined
          ? startMigratedEmulator(p.emulatorOptions(), p.bq, migration).then((e) => void (p.emulator = e))
          : p.startEmulator(true).then(() => migrate(p.bq, migration)),
        ...(options.bucket ? [p.startGcs()] : []),
      ]);
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      await ensureTopics(
        createKafka({ clientId: 'pipeline-setup', brokers: p.brokers, logger: quietLogger }),
        Object.values(topics),
      );
      await Promise.all([p.ingress.start(), ...p.consumerNames.map((name) => p.consumer(name).start())]);
      return p;
    } catch (err) {
      // Nothing of a pipeline that could not start may hold the fault ports for the next file.
      await p.close();
      throw err;
    }
  }

  startKafka = (fresh = false) => this.kafka.start(fresh);
  /** SIGSTOP to the broker: its connections stay open and its requests time out instead of being refused. */
  pauseKafka = () => this.kafka.pause();
  resumeKafka = () => this.kafka.resume();
  stopKafka = () => this.kafka.stop();

  /** The three nodes of a pipeline started with `cluster`. */
  get kafkaCluster(): LocalCluster {
    const c = this.kafka.cluster;
    if (!c) throw new Error('this pipeline runs one Kafka node, not a cluster');
    return c;
  }

  /**
   * The emulator's state: a benchmark's in its own folder; a test file's in one folder for them
   * all, since a migrated template serves one path (the files run one at a time).
   */
  private emulatorOptions() {
    const { ports } = this.options;
    return {
      dataDir: this.options.dir ? join(this.dir, 'bigquery') : join(localDir, 'test', 'pipeline-bigquery'),
      port: ports.emulator,
      grpcPort: ports.emulatorGrpc,
      project: this.project,
    };
  }

  async startEmulator(fresh = false): Promise<void> {
    this.emulator = await startEmulator({ ...this.emulatorOptions(), fresh });
  }

  async startGcs(): Promise<void> {
    this.gcs = await startFakeGcs({
      dataDir: join(this.dir, 'gcs'),
      port: this.options.ports.gcs,
      buckets: ['pipeline-lake'],
      fresh: true,
    });
  }

  async stopEmulator(): Promise<void> {
    await this.emulator?.stop();
    this.emulator = undefined;
  }

  /**
   * Waits until every running consumer service has committed in each of its sinks since the call:
   * traffic has gone through the whole pipeline, and each sink has a batch behind it and the next
   * in flight. Fault tests wait for it instead of a fixed time: before a fault, so that it strikes
   * a pipeline that writes; after one, so that traffic that arrived since has been written too.
   */
  everyConsumerCommits(timeoutMs = 60_000): Promise<void> {
    return eachCommitsAgain([...this.consumers.values()].flat(), timeoutMs);
  }

  /** Thena-like traffic to this pipeline's ingress at `ratePerSecond`, one body in 25 invalid. Not started. */
  load(ratePerSecond: number, options: Pick<LoadOptions, 'retryDelaysMs'> = {}): WebhookLoad {
    return new WebhookLoad({ url: this.ingressUrl, token: this.token, ratePerSecond, invalidEvery: 25, ...options });
  }

  /** Runs one of the project's commands (`rebuild-cli.ts` under services/consumers, say) against this pipeline. */
  command(name: string, entry: string, args: string[]): ManagedProcess {
    return startProcess({
      name,
      command: process.execPath,
      args: [...serviceArgs(entry), ...args],
      env: this.env,
      logFile: join(this.logDir, `${name}.${Date.now()}.log`),
    });
  }

  /** Every service process, both instances of each consumer. */
  services(): Service[] {
    return [this.ingress, ...[...this.consumers.values()].flat()];
  }

  /** Exits nobody asked for, by service. */
  crashes(): Record<string, number> {
    return Object.fromEntries(this.services().flatMap((s) => (s.crashes.length ? [[s.name, s.crashes.length]] : [])));
  }

  /** Every running service process, for memory sampling. */
  runningProcesses(): { name: string; pid: number }[] {
    const out = this.services()
      .filter((s) => s.pid !== undefined)
      .map((s) => ({ name: s.name, pid: s.pid! }));
    for (const pid of this.kafka.pids()) out.push({ name: 'kafka', pid });
    if (this.emulator) out.push({ name: 'bigquery-emulator', pid: this.emulator.process.pid });
    if (this.gcs) out.push({ name: 'fake-gcs-server', pid: this.gcs.process.pid });
    return out;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.services().map((s) => s.stop()));
    await Promise.allSettled([this.stopKafka(), this.stopEmulator(), this.gcs?.stop()]);
    this.gcs = undefined;
  }
}

/** Ports of the fault suite's own pipeline (its files run one at a time, after the other tests). */
export const faultPorts: PipelinePorts = {
  kafka: 29494,
  kafkaController: 29495,
  emulator: 29470,
  emulatorGrpc: 29480,
  ingress: 29400,
  consumerMetricsBase: 29410,
  gcs: 29460,
};

/**
 * Settings that make the consumers roll files and BigQuery batches every two seconds: at the fault
 * suite's 10–20 webhooks a second there is always a batch in flight when a fault strikes. (Every
 * second, as before, doubled the appends and commits the emulator and broker serve on two cores,
 * for no batch more in flight.)
 */
export const busyConsumers = {
  LAKE_FILE_MAX_ROWS: '500',
  LAKE_FILE_MAX_AGE_SECONDS: '2',
  BIGQUERY_BATCH_MAX_AGE_MS: '2000',
  KAFKA_SESSION_TIMEOUT_MS: '6000',
  // Retries of a sink or of Kafka at start wait at most 2 s (30 s by default): after an outage the
  // test waits for every consumer to write again, which otherwise took up to a random part of 30 s
  // for each of them (emulator-outage 46–68 s). What the faults prove (retried until it passes,
  // nothing lost or doubled) does not depend on how long the waits between tries are.
  CONSUMER_RETRY_MAX_MS: '2000',
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * For a fault test file: a fresh pipeline (fault ports, busy consumers, `env` over them) started
 * before its tests and closed after them. Returns a getter, since the pipeline exists only once
 * beforeAll has run.
 */
export function usePipeline(
  name: string,
  { env, ...options }: Omit<PipelineOptions, 'name' | 'ports' | 'dir'> = {},
): () => Pipeline {
  let p: Pipeline | undefined;
  beforeAll(async () => {
    p = await Pipeline.start({ name, ports: faultPorts, env: { ...busyConsumers, ...env }, ...options });
  });
  afterAll(() => p?.close());
  return () => {
    if (!p) throw new Error('the pipeline has not started');
    return p;
  };
}
