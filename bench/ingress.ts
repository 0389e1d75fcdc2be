// Ingress throughput and latency against a real broker, next to a bare Fastify route measured in
// the same run on the same machine. Prints req/s, p50/p99 latency and non-2xx counts for both,
// and the ratios. Not a test: the figures go into the README.
//
//   npm run bench:ingress [-- --duration 8 --connections 50 --rate 1000]
//
// Starts its own Kafka (127.0.0.1:29192) unless KAFKA_BROKERS is given.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { startKafka } from '../infra/kafka/kafka.js';
import { localDir, repoRoot } from '../infra/local/paths.js';
import { startProcess, waitUntilReady, type ManagedProcess } from '../infra/local/process.js';
import { createKafka, ensureTopics } from '../services/shared/kafka.js';
import { createLogger } from '../services/shared/logger.js';
import { topics } from '../schemas/topics.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string', default: '1000' },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const rate = Number(args.rate);
const body = readFileSync(join(repoRoot, 'test/fixtures/thena-request-updated.json'), 'utf8');
const token = 'Bearer bench-token';
const logger = createLogger('bench', { LOG_LEVEL: 'fatal' });

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
  const result = await autocannon({
    url: `${url}/webhooks/thena`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: token },
    body,
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
  args: string[],
  env: NodeJS.ProcessEnv,
  url: string,
): Promise<ManagedProcess> {
  const proc = startProcess({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', join(repoRoot, script), ...args],
    env,
    logFile: join(localDir, 'bench', `${name}.log`),
  });
  const probe = name === 'ingress' ? `${url}/readyz` : `${url}/webhooks/thena`;
  await waitUntilReady(
    proc,
    async () => (await fetch(probe, { method: name === 'ingress' ? 'GET' : 'OPTIONS' })).status < 500,
    60_000,
  );
  return proc;
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
    : await startKafka({ dataDir: join(localDir, 'bench', 'kafka'), port: 29192, controllerPort: 29193, fresh: true });
  brokers ??= kafka!.brokers;
  await ensureTopics(createKafka({ clientId: 'bench', brokers, logger }), Object.values(topics));

  const bare = await serve('bare', 'bench/bare-server.ts', ['29180'], {}, 'http://127.0.0.1:29180');
  const ingress = await serve(
    'ingress',
    'services/ingress/main.ts',
    [],
    {
      PORT: '29181',
      HOST: '127.0.0.1',
      KAFKA_BROKERS: brokers.join(','),
      INGRESS_AUTH_TOKENS: token,
      LOG_LEVEL: 'warn',
      INGRESS_SPOOL_DIR: join(localDir, 'bench', 'spool'),
      // The load comes from one address: the per-address limit would answer most of it 429.
      INGRESS_RATE_LIMIT_PER_MINUTE: '0',
    },
    'http://127.0.0.1:29181',
  );
  try {
    const b = await measure('bare route', 'http://127.0.0.1:29180');
    const i = await measure('ingress', 'http://127.0.0.1:29181');
    const cpu = `${(await import('node:os')).cpus().length} cores`;
    process.stdout.write(
      [
        '',
        `ingress benchmark: seed sample (${Buffer.byteLength(body)} B), ${connections} connections, ${duration} s per run, ${cpu}, Kafka ${brokers.join(',')}`,
        '',
        `max throughput (${connections} connections, unpaced)`,
        `  bare route  ${fmt(b.max)}`,
        `  ingress     ${fmt(i.max)}`,
        `  ratio       ${(i.max.rps / b.max.rps).toFixed(2)} of the bare route's req/s (target >= 0.50)`,
        '',
        `paced at ${rate} req/s (20 connections)`,
        `  bare route  ${fmt(b.paced)}`,
        `  ingress     ${fmt(i.paced)}`,
        `  ingress p99 ${i.paced.p99} ms (target < 25 ms)`,
        '',
      ].join('\n'),
    );
  } finally {
    await Promise.allSettled([bare.stop(), ingress.stop()]);
    await kafka?.stop();
  }
}

await main();
