// `npm start`: the whole pipeline on this machine, no Docker. Starts a local Kafka unless
// KAFKA_BROKERS is set, a local BigQuery emulator unless BIGQUERY_PROJECT or
// BIGQUERY_API_ENDPOINT is set, creates the topics, starts every service, prints where each
// listens, and stops everything in order on Ctrl-C.
import { join } from 'node:path';
import { startKafka, type LocalKafka } from '../kafka/kafka.js';
import { startEmulator, type LocalEmulator } from '../bigquery-emulator/emulator.js';
import { localDir, repoRoot } from './paths.js';
import { startProcess, type ManagedProcess } from './process.js';
import { pipelineServices } from './services.js';
import { ConfigError, givenVariables, loadConfig, parseConfig } from '../../services/shared/config.js';
import { createLogger } from '../../services/shared/logger.js';
import { createKafka, ensureTopics } from '../../services/shared/kafka.js';
import { topics } from '../../schemas/topics.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { migrate } from '../../services/bigquery/migrate.js';

const devDir = join(localDir, 'dev');
export const localPorts = { kafka: 9092, kafkaController: 9093, emulator: 9050, emulatorGrpc: 9060 };
export const localProject = 'local-project';

async function main(): Promise<void> {
  let config = loadConfig();
  const log = createLogger('local-stack', config);
  const given = givenVariables();
  const env: NodeJS.ProcessEnv = { ...process.env };
  let kafka: LocalKafka | undefined;
  let emulator: LocalEmulator | undefined;
  const services: ManagedProcess[] = [];

  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> =>
    (stopping ??= (async () => {
      log.info({ reason }, 'stopping: services first, then the emulator and Kafka');
      await Promise.allSettled(services.map((s) => s.stop()));
      await Promise.allSettled([emulator?.stop(), kafka?.stop()]);
      log.info('stopped');
    })());
  process.once('SIGINT', () => void stop('SIGINT').then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop('SIGTERM').then(() => process.exit(0)));

  try {
    const startingKafka = given.has('KAFKA_BROKERS')
      ? undefined
      : (log.info('KAFKA_BROKERS not set: starting a local Kafka (the first start downloads its jars)'),
        startKafka({
          dataDir: join(devDir, 'kafka'),
          port: localPorts.kafka,
          controllerPort: localPorts.kafkaController,
        }));
    const startingEmulator =
      given.has('BIGQUERY_PROJECT') || given.has('BIGQUERY_API_ENDPOINT')
        ? undefined
        : (log.info('BIGQUERY_PROJECT not set: starting the local BigQuery emulator (the first start installs it)'),
          startEmulator({
            dataDir: join(devDir, 'bigquery'),
            port: localPorts.emulator,
            grpcPort: localPorts.emulatorGrpc,
            project: localProject,
          }));
    const [kafkaResult, emulatorResult] = await Promise.allSettled([startingKafka, startingEmulator]);
    if (kafkaResult.status === 'fulfilled') kafka = kafkaResult.value;
    if (emulatorResult.status === 'fulfilled') emulator = emulatorResult.value;
    for (const r of [kafkaResult, emulatorResult]) if (r.status === 'rejected') throw r.reason;
    if (kafka) env.KAFKA_BROKERS = kafka.brokers.join(',');
    if (emulator) {
      env.BIGQUERY_PROJECT = localProject;
      env.BIGQUERY_API_ENDPOINT = emulator.endpoint;
    }
    env.LAKE_DIR ??= join(repoRoot, 'data/lake');
    env.HOST ??= '127.0.0.1';
    env.INGRESS_SPOOL_DIR ??= join(repoRoot, 'data/spool');
    config = parseConfig(env);

    const created = await ensureTopics(
      createKafka({ clientId: 'local-stack', brokers: config.KAFKA_BROKERS, logger: log }),
      Object.values(topics),
    );
    log.info({ created }, 'topics ready');
    // Once here, before the services start: five consumers creating the tables at once would race,
    // and the emulator refuses the losers (each would exit and be restarted). Each still migrates
    // at start, and finds nothing to do.
    const bq = createBigQuery(config);
    if (bq && config.BIGQUERY_MIGRATE_ON_START) {
      const report = await migrate(bq, { dataset: config.BIGQUERY_DATASET, location: config.BIGQUERY_LOCATION });
      log.info({ created: report.created, altered: report.altered }, 'BigQuery migrated');
    }

    // Crash-only services: one that exits unexpectedly is started again, and resumes from its
    // last committed offsets.
    const launch = (svc: (typeof pipelineServices)[number]) => {
      const proc = startProcess({
        name: svc.name,
        command: process.execPath,
        args: ['--import', 'tsx', join(repoRoot, 'services', svc.entry), ...(svc.args ?? [])],
        env: { ...env, ...svc.env },
        logFile: join(devDir, 'logs', `${svc.name}.log`),
      });
      void proc.exited.then((code) => {
        if (stopping) return;
        log.error({ service: svc.name, code, log: proc.logFile }, 'a service exited; starting it again in 2 s');
        setTimeout(() => {
          if (!stopping) services.splice(services.indexOf(proc), 1, launch(svc));
        }, 2000);
      });
      return proc;
    };
    for (const svc of pipelineServices) services.push(launch(svc));

    const rows: [string, string][] = [
      ['kafka', `${env.KAFKA_BROKERS}${kafka ? `  (log: ${kafka.process.logFile})` : ''}`],
      [
        'bigquery',
        emulator
          ? `${emulator.endpoint}, project ${localProject}  (log: ${emulator.process.logFile})`
          : `project ${env.BIGQUERY_PROJECT ?? '(none: sink off)'}`,
      ],
      ['lake', env.LAKE_DIR],
      ...pipelineServices.map((s): [string, string] => [s.name, s.listens({ ...env, PORT: String(config.PORT) })]),
      ['query', 'npm run query -- "SELECT * FROM request_latest"'],
    ];
    process.stdout.write(
      `\nThe pipeline is running (service logs under ${join(devDir, 'logs')}). Ctrl-C stops it.\n` +
        rows.map(([k, v]) => `  ${k.padEnd(12)} ${v}`).join('\n') +
        '\n\n',
    );
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
