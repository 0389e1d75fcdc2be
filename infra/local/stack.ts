// `npm start`: the whole pipeline on this machine, no Docker. Starts a local Kafka unless
// KAFKA_BROKERS is set, a local BigQuery emulator unless BIGQUERY_PROJECT or
// BIGQUERY_API_ENDPOINT is set, creates the topics, starts every service, prints where each
// listens, and stops everything in order on Ctrl-C.
//
// Ctrl-C in a terminal signals the whole foreground process group: the services, which begin
// their own orderly shutdown, and this launcher. Kafka and the emulator run in process groups of
// their own, so they stay up while the services write and commit what they hold; this launcher
// stops them once every service has exited.
import { join } from 'node:path';
import { startKafka, type LocalKafka } from '../kafka/kafka.js';
import { emulatorAppendMaxBytes, startEmulator, type LocalEmulator } from '../bigquery-emulator/emulator.js';
import { startFakeGcs, type LocalFakeGcs } from '../gcs/fake-gcs.js';
import { installDuckdbExtensions } from '../duckdb/extensions.js';
import { localDir, repoRoot } from './paths.js';
import { assertPortsFree, startProcess, type ManagedProcess } from './process.js';
import { pipelineServices, type ServiceEntry } from './services.js';
import {
  ConfigError,
  givenVariables,
  loadConfig,
  parseConfig,
  type Config,
  type EnvName,
} from '../../services/shared/config.js';
import { createLogger, type Logger } from '../../services/shared/logger.js';
import { createKafka, ensureTopics, kafkaConnection } from '../../services/shared/kafka.js';
import { topics } from '../../schemas/topics.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { migrate } from '../../services/bigquery/index.js';

/** npm start's own ports, before LOCAL_PORT_OFFSET is added. */
const basePorts = { kafka: 9092, kafkaController: 9093, emulator: 9050, emulatorGrpc: 9060, gcs: 4443 };
export const localProject = 'local-project';
/** With LOCAL_LAKE_IN_BUCKET, the lake's place on the local fake-gcs-server. */
export const localLakeBucket = 'thena-lake';
/** How long a service that exited unexpectedly waits before it is started again. */
const restartDelayMs = 2_000;

interface Infrastructure {
  kafka?: LocalKafka;
  emulator?: LocalEmulator;
  gcs?: LocalFakeGcs;
}

/** Starts Kafka and the emulator where the configuration names none; on a failure stops what started. */
async function startInfrastructure(config: Config, given: Set<EnvName>, stateDir: string, log: Logger) {
  const offset = config.LOCAL_PORT_OFFSET;
  const kafka = given.has('KAFKA_BROKERS')
    ? undefined
    : (log.info('KAFKA_BROKERS not set: starting a local Kafka (the first start downloads its jars)'),
      startKafka({
        dataDir: join(stateDir, 'kafka'),
        port: basePorts.kafka + offset,
        controllerPort: basePorts.kafkaController + offset,
      }));
  const emulator =
    given.has('BIGQUERY_PROJECT') || given.has('BIGQUERY_API_ENDPOINT')
      ? undefined
      : (log.info('BIGQUERY_PROJECT not set: starting the local BigQuery emulator (the first start installs it)'),
        startEmulator({
          dataDir: join(stateDir, 'bigquery'),
          port: basePorts.emulator + offset,
          grpcPort: basePorts.emulatorGrpc + offset,
          project: localProject,
        }));
  const gcs =
    config.LOCAL_LAKE_IN_BUCKET && !given.has('LAKE_DIR')
      ? (log.info('LOCAL_LAKE_IN_BUCKET: starting a local fake-gcs-server for the lake (the first start builds it)'),
        // DuckDB's httpfs too, so that `npm run query` can read the bucket.
        Promise.all([
          startFakeGcs({ dataDir: join(stateDir, 'gcs'), port: basePorts.gcs + offset, buckets: [localLakeBucket] }),
          installDuckdbExtensions(),
        ]).then(([started]) => started))
      : undefined;
  const [k, e, g] = await Promise.allSettled([kafka, emulator, gcs]);
  const started: Infrastructure = {
    kafka: k.status === 'fulfilled' ? k.value : undefined,
    emulator: e.status === 'fulfilled' ? e.value : undefined,
    gcs: g.status === 'fulfilled' ? g.value : undefined,
  };
  const failed = [k, e, g].find((r) => r.status === 'rejected');
  if (failed) {
    await stopInfrastructure(started);
    throw failed.reason;
  }
  return started;
}

async function stopInfrastructure(infra: Infrastructure): Promise<void> {
  await Promise.allSettled([infra.emulator?.stop(), infra.kafka?.stop(), infra.gcs?.stop()]);
}

/** The services' environment: the given one, pointed at the local Kafka and emulator if started. */
function servicesEnvironment(infra: Infrastructure): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (infra.kafka) env.KAFKA_BROKERS = infra.kafka.brokers.join(',');
  if (infra.emulator) {
    env.BIGQUERY_PROJECT = localProject;
    env.BIGQUERY_API_ENDPOINT = infra.emulator.endpoint;
    env.BIGQUERY_STORAGE_API_ENDPOINT = infra.emulator.storageEndpoint;
    env.BIGQUERY_APPEND_MAX_BYTES ??= String(emulatorAppendMaxBytes);
  }
  if (infra.gcs) {
    env.LAKE_DIR = `gs://${localLakeBucket}/lake`;
    env.GCS_API_ENDPOINT = infra.gcs.endpoint;
  }
  env.LAKE_DIR ??= join(repoRoot, 'data/lake');
  env.HOST ??= '127.0.0.1';
  env.INGRESS_SPOOL_DIR ??= join(repoRoot, 'data/spool');
  return env;
}

/** Topics, and BigQuery's tables and views, before any service starts. */
async function prepareTopicsAndTables(config: Config, log: Logger): Promise<void> {
  const { created, altered, warnings } = await ensureTopics(
    createKafka({ clientId: 'local-stack', ...kafkaConnection(config), logger: log }),
    Object.values(topics),
  );
  for (const warning of warnings) log.warn(warning);
  log.info({ created, altered }, 'topics ready');
  // Once here: the consumers creating the tables at once would race, and the emulator refuses the
  // losers (each would exit and be restarted). Each still migrates at start, and finds nothing to do.
  const bq = createBigQuery(config);
  if (bq && config.BIGQUERY_MIGRATE_ON_START) {
    const report = await migrate(bq, { dataset: config.BIGQUERY_DATASET, location: config.BIGQUERY_LOCATION });
    log.info({ created: report.created, altered: report.altered }, 'BigQuery migrated');
  }
}

/**
 * Runs the pipeline's services as crash-only processes: one that exits unexpectedly is started
 * again after a short delay and resumes from its last committed offsets.
 */
class Supervisor {
  private readonly running = new Map<string, ManagedProcess>();
  private stopping = false;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly logDir: string,
    private readonly portOffset: number,
    private readonly log: Logger,
  ) {}

  metricsPort(svc: ServiceEntry): number | undefined {
    return svc.metricsPort === undefined ? undefined : svc.metricsPort + this.portOffset;
  }

  launch(svc: ServiceEntry): void {
    if (this.stopping) return;
    const port = this.metricsPort(svc);
    const proc = startProcess({
      name: svc.name,
      command: process.execPath,
      args: ['--import', 'tsx', join(repoRoot, 'services', svc.entry), ...(svc.args ?? [])],
      env: { ...this.env, ...(port === undefined ? {} : { METRICS_PORT: String(port) }) },
      logFile: join(this.logDir, `${svc.name}.log`),
    });
    this.running.set(svc.name, proc);
    void proc.exited.then((code) => {
      if (this.stopping) return;
      this.log.error({ service: svc.name, code, log: proc.logFile }, 'a service exited; starting it again in 2 s');
      setTimeout(() => this.launch(svc), restartDelayMs);
    });
  }

  /** SIGTERM to every service (those a Ctrl-C reached are stopping already); resolves once all exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.running.values()].map((p) => p.stop()));
  }
}

/** Waits until every service answers /healthz, so the summary is printed once webhooks can be sent. */
async function waitForServices(host: string, ports: number[], log: Logger, timeoutMs = 120_000): Promise<void> {
  const reach = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const answers = (port: number) =>
    fetch(`http://${reach}:${port}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
      (res) => res.ok,
      () => false,
    );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await Promise.all(ports.map(answers))).every(Boolean)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  log.warn({ ports }, 'not every service answers yet; see the service logs');
}

function printSummary(config: Config, env: NodeJS.ProcessEnv, infra: Infrastructure, supervisor: Supervisor): void {
  const where = (svc: ServiceEntry) => {
    const port = supervisor.metricsPort(svc);
    return port === undefined
      ? `http://${env.HOST}:${config.PORT}/webhooks/thena (and /webhooks/thena/platform)`
      : `consumer; metrics http://${env.HOST}:${port}/metrics`;
  };
  const rows: [string, string][] = [
    ['kafka', `${env.KAFKA_BROKERS}${infra.kafka ? `  (log: ${infra.kafka.process.logFile})` : ''}`],
    [
      'bigquery',
      infra.emulator
        ? `${infra.emulator.endpoint}, project ${localProject}  (log: ${infra.emulator.process.logFile})`
        : `project ${env.BIGQUERY_PROJECT ?? '(none: sink off)'}`,
    ],
    ['lake', `${env.LAKE_DIR!}${infra.gcs ? ` on ${infra.gcs.endpoint}  (log: ${infra.gcs.process.logFile})` : ''}`],
    ...pipelineServices.map((s): [string, string] => [s.name, where(s)]),
    [
      'query',
      `${infra.gcs ? `LAKE_DIR=${env.LAKE_DIR} GCS_API_ENDPOINT=${env.GCS_API_ENDPOINT} ` : ''}npm run query -- "SELECT * FROM request_latest"`,
    ],
  ];
  process.stdout.write(
    `\nThe pipeline is running (service logs under ${join(env.LOCAL_STATE_DIR!, 'logs')}). Ctrl-C stops it.\n` +
      rows.map(([k, v]) => `  ${k.padEnd(12)} ${v}`).join('\n') +
      '\n\n',
  );
}

async function main(): Promise<void> {
  const given = givenVariables();
  let config = loadConfig();
  const log = createLogger('local-stack', config);
  const stateDir = config.LOCAL_STATE_DIR ?? join(localDir, 'dev');
  const starting = startInfrastructure(config, given, stateDir, log);
  let supervisor: Supervisor | undefined;

  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> =>
    (stopping ??= (async () => {
      log.info({ reason }, 'stopping: services first, then the emulator and Kafka');
      await supervisor?.stop();
      await stopInfrastructure(await starting.catch(() => ({})));
      log.info('stopped');
    })());
  // npm and tsx pass a terminal's signal on as well, so one Ctrl-C can arrive two or three times.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void stop(signal).then(() => process.exit(0)));
  }

  try {
    const infra = await starting;
    const env = { ...servicesEnvironment(infra), LOCAL_STATE_DIR: stateDir };
    config = parseConfig(env);
    await prepareTopicsAndTables(config, log);
    if (stopping) return;
    supervisor = new Supervisor(env, join(stateDir, 'logs'), config.LOCAL_PORT_OFFSET, log);
    const servicePorts = pipelineServices.map((svc) => supervisor!.metricsPort(svc) ?? config.PORT);
    await assertPortsFree('npm start', servicePorts);
    for (const svc of pipelineServices) supervisor.launch(svc);
    await waitForServices(config.HOST, servicePorts, log);
    printSummary(config, env, infra, supervisor);
  } catch (err) {
    log.error({ err }, 'could not start the local pipeline');
    await stop('start failed');
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
});
