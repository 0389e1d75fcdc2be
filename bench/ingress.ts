// Ingress throughput and latency against a real broker, next to two baselines measured in the
// same run on the same machine: a bare Fastify route (what HTTP alone costs here) and Kafka's own
// ProducerPerformance tool (what the broker takes from a Java producer with the ingress's settings:
// acks=all, idempotence, gzip, linger.ms=5, the same envelope). Prints req/s, p50/p99 latency and
// non-2xx counts, and the ratios. Not a test: the figures go into docs/benchmarks.md.
//
//   npm run bench:ingress [-- --duration 8 --connections 50 --rate 1000 --producers 1,3 --keys 10000 --profile]
//
// --producers: INGRESS_KAFKA_PRODUCERS values to measure in turn (default: the configured default).
// --keys: distinct requestIds the load cycles through (1: every webhook is the same request, so
// every event is one partition's and one producer's). --profile: the ingress runs with
// node --cpu-prof, writing .cpuprofile files under .local/bench/profile/ingress-<N>-producers.
//
// Starts its own Kafka (127.0.0.1:29192) unless KAFKA_BROKERS is given.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { installKafka, startKafka } from '../infra/kafka/kafka.js';
import { localDir, repoRoot } from '../infra/local/paths.js';
import { run, startProcess, waitUntilReady, type ManagedProcess } from '../infra/local/process.js';
import { createKafka, ensureTopics } from '../services/shared/kafka.js';
import { createLogger } from '../services/shared/logger.js';
import { parseConfig } from '../services/shared/config.js';
import { eventEnvelope } from '../services/ingress/envelope.js';
import { topics, type TopicDeclaration } from '../schemas/topics.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string', default: '1000' },
    producers: { type: 'string', default: String(parseConfig({}).INGRESS_KAFKA_PRODUCERS) },
    keys: { type: 'string', default: '10000' },
    profile: { type: 'boolean', default: false },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const rate = Number(args.rate);
const producerCounts = args.producers.split(',').map(Number);
const sample = readFileSync(join(repoRoot, 'test/fixtures/thena-request-updated.json'), 'utf8');
// The sample with its requestId replaced, all of one length: distinct requests, as Thena sends.
const requestIdField = '"requestId": "42"';
if (!sample.includes(requestIdField)) throw new Error(`the sample no longer holds ${requestIdField}`);
const bodies = Array.from({ length: Number(args.keys) }, (_, i) =>
  sample.replace(requestIdField, `"requestId": "${10_000_000 + i}"`),
);
const token = 'Bearer bench-token';
const logger = createLogger('bench', { LOG_LEVEL: 'fatal' });
const benchDir = join(localDir, 'bench');

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(
  url: string,
  opts: { connections: number; overallRate?: number; duration: number },
): Promise<Figures> {
  let next = 0;
  const result = await autocannon({
    url: `${url}/webhooks/thena`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: token },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
    ...opts,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function serve(
  name: string,
  script: string,
  opts: { args?: string[]; nodeArgs?: string[]; env?: NodeJS.ProcessEnv; url: string },
): Promise<ManagedProcess> {
  const proc = startProcess({
    name,
    command: process.execPath,
    args: [...(opts.nodeArgs ?? []), '--import', 'tsx', join(repoRoot, script), ...(opts.args ?? [])],
    env: opts.env ?? {},
    logFile: join(benchDir, `${name}.log`),
  });
  const ingress = name.startsWith('ingress');
  const probe = ingress ? `${opts.url}/readyz` : `${opts.url}/webhooks/thena`;
  await waitUntilReady(
    proc,
    async () => (await fetch(probe, { method: ingress ? 'GET' : 'OPTIONS' })).status < 500,
    60_000,
  );
  return proc;
}

/** Where ProducerPerformance writes: the events topic's partitions and settings, its own name. */
const toolTopic: TopicDeclaration = {
  ...topics.requestEvents,
  name: 'bench.producer-performance',
  description: "bench:ingress's ProducerPerformance baseline",
};

interface ToolFigures {
  records: number;
  perSecond: number;
  avgMs: number;
  p99Ms: number;
}

/**
 * Kafka's own ProducerPerformance (kafka-tools jar) with the ingress's producer settings, sending
 * envelopes of the same sample (as many distinct as the load uses, up to 1,000). Its records have
 * no key, so the Java client's sticky partitioner fills one partition's batch at a time, and no
 * headers (the tool sends none), so they are the ingress's records less its summary header.
 */
async function producerPerformance(brokers: string[], records: number): Promise<ToolFigures> {
  const lib = await installKafka();
  const delimiter = '@@@@';
  const payloads = bodies.slice(0, 1000).map((raw, i) =>
    eventEnvelope(
      {
        kind: 'accepted',
        eventId: randomBytes(16).toString('hex'),
        action: 'UPDATE',
        requestId: String(10_000_000 + i),
        raw,
        fieldProblems: [],
        request: {},
      },
      new Date(),
    ),
  );
  const payloadFile = join(benchDir, 'producer-performance-payloads.txt');
  mkdirSync(benchDir, { recursive: true });
  writeFileSync(payloadFile, payloads.join(delimiter));
  const output = await run(
    'java',
    [
      '-Xmx256m',
      '-cp',
      `${lib}/*`,
      'org.apache.kafka.tools.ProducerPerformance',
      ...['--topic', toolTopic.name, '--num-records', String(records), '--throughput', '-1'],
      ...['--payload-file', payloadFile, '--payload-delimiter', delimiter],
      '--producer-props',
      `bootstrap.servers=${brokers.join(',')}`,
      'acks=all',
      'enable.idempotence=true',
      'compression.type=gzip',
      'linger.ms=5',
    ],
    { stdoutOnly: true },
  );
  // "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, p50 ms 50th, ..."
  const summary = /(\d+) records sent, ([\d.]+) records\/sec .*?, ([\d.]+) ms avg latency.*?(\d+) ms 99th/.exec(output);
  if (!summary) throw new Error(`ProducerPerformance printed no summary:\n${output.slice(-2000)}`);
  return {
    records: Number(summary[1]),
    perSecond: Number(summary[2]),
    avgMs: Number(summary[3]),
    p99Ms: Number(summary[4]),
  };
}

async function measure(name: string, url: string) {
  await load(url, { connections, duration: 2 }); // warm-up: JIT, connections, producer metadata
  const max = await load(url, { connections, duration });
  const paced = await load(url, { connections: 20, overallRate: rate, duration });
  return { name, max, paced };
}

const fmt = (f: Figures) =>
  `${f.rps.toFixed(0).padStart(7)} req/s  p50 ${String(f.p50).padStart(4)} ms  p99 ${String(f.p99).padStart(4)} ms  non-2xx ${f.non2xx}  errors ${f.errors}`;

async function main() {
  let brokers = process.env.KAFKA_BROKERS?.split(',');
  const kafka = brokers
    ? undefined
    : await startKafka({ dataDir: join(benchDir, 'kafka'), port: 29192, controllerPort: 29193, fresh: true });
  brokers ??= kafka!.brokers;
  await ensureTopics(createKafka({ clientId: 'bench', brokers, logger }), [...Object.values(topics), toolTopic]);

  const bare = await serve('bare', 'bench/bare-server.ts', { args: ['29180'], url: 'http://127.0.0.1:29180' });
  try {
    const b = await measure('bare route', 'http://127.0.0.1:29180');
    await bare.stop();
    // A short run warms the broker and sizes the measured one to last about `duration` seconds.
    const warm = await producerPerformance(brokers, 20_000);
    const tool = await producerPerformance(brokers, Math.max(20_000, Math.round(warm.perSecond * duration)));
    const runs: { producers: number; figures: Awaited<ReturnType<typeof measure>> }[] = [];
    for (const producers of producerCounts) {
      const url = 'http://127.0.0.1:29181';
      const ingress = await serve(`ingress-${producers}`, 'services/ingress/main.ts', {
        nodeArgs: args.profile
          ? [
              '--cpu-prof',
              // One file per thread (tsx's loader has its own): the main thread's is the largest.
              `--cpu-prof-dir=${join(benchDir, 'profile', `ingress-${producers}-producers`)}`,
            ]
          : [],
        env: {
          PORT: '29181',
          HOST: '127.0.0.1',
          KAFKA_BROKERS: brokers.join(','),
          INGRESS_AUTH_TOKENS: token,
          INGRESS_KAFKA_PRODUCERS: String(producers),
          LOG_LEVEL: 'warn',
          INGRESS_SPOOL_DIR: join(benchDir, 'spool'),
          // The load comes from one address: the per-address limit would answer most of it 429.
          INGRESS_RATE_LIMIT_PER_MINUTE: '0',
        },
        url,
      });
      try {
        runs.push({ producers, figures: await measure(`ingress (${producers} producers)`, url) });
      } finally {
        await ingress.stop();
      }
    }
    const ratio = (x: number, of: number) => (x / of).toFixed(2);
    process.stdout.write(
      [
        '',
        `ingress benchmark: seed sample (${Buffer.byteLength(sample)} B) as ${bodies.length} distinct requests, ${connections} connections, ${duration} s per run, ${cpus().length} cores, Kafka ${brokers.join(',')}`,
        '',
        `max throughput (${connections} connections, unpaced)`,
        `  bare route              ${fmt(b.max)}`,
        ...runs.map(({ producers, figures: i }) =>
          [
            `  ingress, ${String(producers).padStart(2)} producers  ${fmt(i.max)}`,
            `    ratio ${ratio(i.max.rps, b.max.rps)} of the bare route's req/s (target >= 0.50), ${ratio(i.max.rps, tool.perSecond)} of ProducerPerformance's messages/s`,
          ].join('\n'),
        ),
        '',
        `Kafka's ProducerPerformance (acks=all, idempotent, gzip, linger.ms=5, ${tool.records} envelopes of ${Buffer.byteLength(sample)}+ B)`,
        `  ${tool.perSecond.toFixed(0).padStart(7)} messages/s  avg ${tool.avgMs.toFixed(1)} ms  p99 ${tool.p99Ms} ms  (${ratio(tool.perSecond, b.max.rps)} of the bare route's req/s)`,
        '',
        `paced at ${rate} req/s (20 connections)`,
        `  bare route              ${fmt(b.paced)}`,
        ...runs.map(
          ({ producers, figures: i }) => `  ingress, ${String(producers).padStart(2)} producers  ${fmt(i.paced)}`,
        ),
        `  ingress p99 ${runs.map((r) => `${r.figures.paced.p99} ms (${r.producers})`).join(', ')} (target < 25 ms)`,
        '',
      ].join('\n'),
    );
  } finally {
    await bare.stop();
    await kafka?.stop();
  }
}

await main();
