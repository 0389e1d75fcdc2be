// `npm run backfill -- --since DATE [--until DATE] [--workspace NAME]` or `-- --file FILE.ndjson`:
// publishes requests from before the webhook existed as events (see backfill.ts, and --help).
// Prints progress on stderr and a summary on stdout; a failure is one line on stderr and exit 1,
// with the checkpoint kept, so the same command resumes.
import { existsSync, statSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import { backfillKey, type BackfillRecord } from '../../schemas/control.js';
import { topics } from '../../schemas/topics.js';
import { cli, type Cli } from '../shared/cli.js';
import { ConfigError, givenVariables, loadConfig, type Config } from '../shared/config.js';
import { commandKafka, ensureTopics, kafkaConnection } from '../shared/kafka.js';
import { runService } from '../shared/lifecycle.js';
import { createLogger } from '../shared/logger.js';
import { help, parseArguments, usage, type BackfillArgs } from './arguments.js';
import { backfill, platformDestinations, type BackfillOptions } from './backfill.js';
import { maxTicketPageSize, platformApiSource } from './platform-api.js';
import { platformOutcomeOf } from './platform-events.js';
import { BackfillError, checkpointKept } from './errors.js';
import { controlCheckpoints, kafkaPublisher } from './kafka-io.js';
import { politeClient } from './polite.js';
import { alreadyDone, progressReporter, readingRequests, readingTickets, summary, type Reading } from './report.js';
import { maxPageSize, requestsApiSource } from './requests-api.js';
import { fileFacts, ndjsonFileSource } from './sources.js';

const command = cli('backfill', { usage, help, parse: parseArguments });
const { say, commandLine } = command;
// Annotated, so that TypeScript knows the code after a call is not reached.
const exitWith: Cli<BackfillArgs>['exitWith'] = command.exitWith;

/** The API's settings, or exit 2 naming the one missing. */
function apiSettings(config: Config): { url: string; key: string } {
  if (!config.THENA_API_URL) {
    exitWith(
      2,
      "THENA_API_URL is not set; set it to the root of Thena's API (it reads {THENA_API_URL}/rest/v1/requests, or /v1/tickets with --source platform)",
    );
  }
  if (!config.THENA_API_KEY) exitWith(2, "THENA_API_KEY is not set; set it to the key of Thena's requests API");
  return { url: config.THENA_API_URL, key: config.THENA_API_KEY };
}

type Plan = { what: string; source: BackfillOptions['source']; reading?: Reading } & Pick<
  BackfillOptions,
  'outcome' | 'to'
>;

/** The API's client: polite to it (THENA_API_REQUESTS_PER_SECOND, THENA_API_TIMEOUT_MS). */
const apiClient = (config: Config) =>
  politeClient({
    requestsPerSecond: config.THENA_API_REQUESTS_PER_SECOND ?? 5,
    timeoutMs: config.THENA_API_TIMEOUT_MS ?? 60_000,
    keyName: 'THENA_API_KEY',
    onRetry: say,
  });

/** The checkpoint key and the source of what was asked. */
async function plan(args: BackfillArgs, config: Config): Promise<Plan> {
  if (args.mode === 'file') {
    if (!existsSync(args.path) || !statSync(args.path).isFile()) exitWith(2, `--file: no file at '${args.path}'`);
    const facts = await fileFacts(args.path);
    return { what: `file/${facts.sha256}`, source: () => ndjsonFileSource(args.path, facts) };
  }
  const api = apiSettings(config);
  if (args.mode === 'platform') {
    if (args.pageSize > maxTicketPageSize)
      say(`--limit ${args.pageSize} is over the platform API's ${maxTicketPageSize}; asking ${maxTicketPageSize}`);
    const http = apiClient(config);
    return {
      what: `platform/${args.since.toISOString()}`,
      source: () =>
        platformApiSource({ baseUrl: api.url, key: api.key, since: args.since, pageSize: args.pageSize, http }),
      outcome: platformOutcomeOf,
      to: platformDestinations,
      reading: readingTickets,
    };
  }
  if (args.pageSize > maxPageSize)
    say(`--limit ${args.pageSize} is over the API's ${maxPageSize}; asking ${maxPageSize}`);
  const http = apiClient(config);

  const source = (resuming: BackfillRecord | undefined) =>
    requestsApiSource({
      baseUrl: api.url,
      key: api.key,
      since: args.since,
      // A resumed run asks for the range its cursor belongs to, even when --until was left to "now".
      until: resuming?.until ? new Date(resuming.until) : (args.until ?? new Date()),
      pageSize: args.pageSize,
      http,
      warn: (line) => say(`warning: ${line}`),
    });
  return { what: `api/${args.since.toISOString()}/${args.until?.toISOString() ?? 'now'}`, source };
}

/** One line for a failure; kafkajs's own errors get a pointer to the broker setting. */
function failure(err: unknown, config: Config | undefined): never {
  if (err instanceof BackfillError) exitWith(1, err.message);
  const e = err as Error;
  const kafka = /^KafkaJS/.test(e.name ?? '')
    ? ` (is Kafka at ${config?.KAFKA_BROKERS.join(',')}, KAFKA_BROKERS, up?)`
    : '';
  exitWith(1, `${e.message ?? String(err)}${kafka}; ${checkpointKept}`);
}

/** The topics, then the producer and the checkpoints; says so when Kafka is slow to answer. */
async function connect(kafka: Kafka, config: Config) {
  const slow = setTimeout(
    () => say(`waiting for Kafka at ${config.KAFKA_BROKERS.join(',')} (KAFKA_BROKERS)...`),
    5_000,
  );
  try {
    await ensureTopics(kafka, Object.values(topics));
    const [publisher, checkpoints] = await Promise.all([kafkaPublisher(kafka), controlCheckpoints(kafka)]);
    return { publisher, checkpoints };
  } finally {
    clearTimeout(slow);
  }
}

async function main(): Promise<void> {
  const args = commandLine();
  const config = loadConfig();
  const { what, source, outcome, to, reading = readingRequests } = await plan(args, config);
  // kafkajs logs every failed connection attempt; the command says what failed in one line instead,
  // unless LOG_LEVEL asks for more.
  const logger = createLogger('backfill', {
    LOG_LEVEL: givenVariables().has('LOG_LEVEL') ? config.LOG_LEVEL : 'fatal',
  });
  const kafka = await commandKafka({ clientId: 'thena-backfill', ...kafkaConnection(config), logger });
  const started = Date.now();
  let progressed: BackfillRecord | undefined;
  const interrupted = () => {
    const at = progressed ? ` after ${progressed.unit} ${progressed.done}` : '';
    exitWith(130, `interrupted${at}; ${checkpointKept}`);
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    const { publisher, checkpoints } = await connect(kafka, config);
    const report = progressReporter(undefined, { reading });
    const result = await backfill({
      key: backfillKey(args.workspace, what),
      workspace: args.workspace,
      again: args.again,
      source,
      ...(outcome ? { outcome } : {}),
      ...(to ? { to } : {}),
      publisher,
      checkpoints,
      bodyLimitBytes: config.INGRESS_BODY_LIMIT_BYTES,
      say,
      onProgress: (record, src) => report((progressed = record), src),
    }).finally(() => Promise.allSettled([publisher.close(), checkpoints.close()]));
    process.stdout.write(
      result.outcome === 'already done'
        ? alreadyDone(result.record, reading)
        : summary(result, Date.now() - started, reading),
    );
  } catch (err) {
    failure(err, config);
  }
  process.exit(0);
}

runService('backfill', () =>
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) throw err;
    failure(err, undefined);
  }),
);
