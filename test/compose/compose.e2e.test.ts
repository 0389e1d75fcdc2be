// `docker compose up`, for real: the repository's compose files and Dockerfiles, unchanged, on the
// Docker engine of infra/compose/engine.sh with the stand-in images of infra/compose/stand-ins.sh.
// Run by `npm run test:compose` (infra/compose/test.sh), which starts both first. The steps share
// one compose project and run in order: up, traffic, a Kafka outage across `down`/`up`, the lake
// in a bucket, the observability profile. Its ports are compose's own (8080, 9050, 9094, 4443,
// 9090), so `npm start` must not be running; the lake goes to .local/compose-test/lake.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { repoRoot } from '../../infra/local/paths.js';
import { openLake, openStore, type LakeStore } from '../../services/lake/index.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { topics } from '../../schemas/topics.js';
import { webhook } from '../fixtures/webhooks.js';
import { platformBody, ticket } from '../fixtures/platform-events.js';
import { waitFor } from '../support/wait.js';

const exec = promisify(execFile);
const project = 'thena-lake-compose-test';
const work = join(repoRoot, '.local', 'compose-test');
const lakeDir = join(work, 'lake');
const envFile = join(repoRoot, '.local', 'compose-test.env');
const token = 'compose-test-token';
const ingress = 'http://127.0.0.1:8080';
const bigquery = createBigQuery({ BIGQUERY_PROJECT: 'local-project', BIGQUERY_API_ENDPOINT: 'http://127.0.0.1:9050' })!;
const bucketFiles = ['docker-compose.yml', 'docker-compose.bucket.yml'];
/** A cold start builds nothing after the first `up`, but the JVM, the emulator and nine Node services share 2 cores. */
const startTimeout = 300_000;

/** `docker compose` on this project, with the compose files named (docker-compose.yml by default). */
async function compose(args: string[], files = ['docker-compose.yml']): Promise<string> {
  const fileArgs = files.flatMap((f) => ['-f', join(repoRoot, f)]);
  const { stdout } = await exec('docker', ['compose', '-p', project, '--env-file', envFile, ...fileArgs, ...args], {
    cwd: repoRoot,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: Error & { stderr?: string; stdout?: string }) => {
    throw new Error(`docker compose ${args.join(' ')} failed:\n${err.stderr ?? ''}${err.stdout ?? ''}`);
  });
  return stdout;
}

async function up(files?: string[], extra: string[] = []): Promise<void> {
  await compose(['up', '--detach', '--wait', '--wait-timeout', String(startTimeout / 1000), ...extra], files);
}

/** Posts a body; returns the status, and the answer for a failure's message. */
async function post(path: string, body: unknown): Promise<{ status: number; answer: string }> {
  const res = await fetch(`${ingress}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: token },
    body: JSON.stringify(body),
  });
  return { status: res.status, answer: await res.text() };
}

const accepted = (answer: { status: number; answer: string }) => expect(answer.status, answer.answer).toBe(202);

/** Request webhooks with request ids `first`…`first + n - 1` (Thena's ids are decimal), each accepted. */
async function sendRequests(first: number, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => String(first + i));
  for (const id of ids) accepted(await post('/webhooks/thena', webhook({ requestId: id })));
  return ids;
}

/** Each request id's count of rows in request_events, and the ids request_latest holds. */
async function requestsIn(
  query: (sql: string) => Promise<Record<string, unknown>[]>,
  table = (name: string) => name,
): Promise<{ events: Map<string, number>; latest: Set<string> }> {
  const events = await query(`SELECT request_id, count(*) AS n FROM ${table('request_events')} GROUP BY request_id`);
  const latest = await query(`SELECT request_id FROM ${table('request_latest')}`);
  return {
    events: new Map(events.map((r) => [String(r.request_id), Number(r.n)])),
    latest: new Set(latest.map((r) => String(r.request_id))),
  };
}

const inLake = (store: LakeStore) => async (sql: string) => {
  const connection = await openLake(store);
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    connection.closeSync();
  }
};
const inBigQuery = async (sql: string) => (await bigquery.query(sql))[0] as Record<string, unknown>[];
const bigQueryTable = (name: string) => `\`local-project.thena_lake.${name}\``;

/** Waits until every id is in request_latest and has exactly one event row; fails on a second row at once. */
async function expectEachOnce(
  where: string,
  ids: string[],
  read: () => Promise<{ events: Map<string, number>; latest: Set<string> }>,
): Promise<void> {
  await waitFor(
    `${ids.length} requests in ${where}`,
    async () => {
      const { events, latest } = await read().catch(() => ({ events: new Map<string, number>(), latest: new Set() }));
      for (const id of ids) expect(events.get(id) ?? 0, `${where}: events of request ${id}`).toBeLessThanOrEqual(1);
      return ids.every((id) => latest.has(id) && events.get(id) === 1);
    },
    120_000,
    2_000,
  );
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const localLake = openStore({ kind: 'local', dir: lakeDir });
const lakeRequests = () => requestsIn(inLake(localLake));
const bigQueryRequests = () => requestsIn(inBigQuery, bigQueryTable);
const sent: string[] = [];

describe('docker compose up, for real', () => {
  beforeAll(async () => {
    expect(process.env.DOCKER_HOST, 'run through `npm run test:compose`, which starts the engine').toBeTruthy();
    // The user's .env, as .env.example tells them to make it, pointed at the test's lake.
    const env = readFileSync(join(repoRoot, '.env.example'), 'utf8')
      .replace(/^INGRESS_AUTH_TOKENS=.*$/m, `INGRESS_AUTH_TOKENS=${token}`)
      .replace(/^LAKE_UID=.*$/m, `LAKE_UID=${process.getuid!()}`)
      .replace(/^LAKE_GID=.*$/m, `LAKE_GID=${process.getgid!()}`);
    writeFileSync(envFile, `${env}\nLAKE_HOST_DIR=${lakeDir}\n`);
    // What a previous run left (its containers, volumes and lake) goes first.
    await compose(['--profile', 'observability', 'down', '--volumes', '--remove-orphans'], bucketFiles);
    for (const port of [8080, 9050, 9094, 4443, 9090]) {
      expect(await portIsFree(port), `port ${port} is taken (stop \`npm start\` first)`).toBe(true);
    }
    rmSync(work, { recursive: true, force: true });
    mkdirSync(lakeDir, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    if (process.env.KEEP_COMPOSE_TEST) return;
    await compose(['--profile', 'observability', 'down', '--volumes', '--remove-orphans'], bucketFiles);
  }, 120_000);

  it(
    'builds and starts every service healthy; the one-shot jobs finish',
    async () => {
      await compose(['build', '--quiet']);
      await up();
      const states = (await compose(['ps', '--all', '--format', 'json']))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { Service: string; State: string; Health: string; ExitCode: number });
      const byService = Object.fromEntries(states.map((s) => [s.Service, s]));
      for (const job of ['topics', 'migrate']) {
        expect(byService[job], job).toMatchObject({ State: 'exited', ExitCode: 0 });
      }
      const running = states.filter((s) => !['topics', 'migrate'].includes(s.Service));
      expect(running.map((s) => s.Service).sort()).toEqual(
        [
          'bigquery',
          'ingress',
          'kafka',
          'rejected-events',
          'request-activity',
          'request-assignments',
          'request-csat',
          'request-events',
          'ticket-comments',
          'ticket-events',
        ].sort(),
      );
      for (const s of running) expect(s, s.Service).toMatchObject({ State: 'running', Health: 'healthy' });
      // Healthy means its health check has run; the emulator leaves those calls out of its log,
      // which `docker compose up` shows among the pipeline's own lines (serve.py).
      const emulatorLog = await compose(['logs', '--no-log-prefix', 'bigquery']);
      expect(emulatorLog).toContain('Application startup complete');
      expect(emulatorLog).not.toMatch(/127\.0\.0\.1:\d+ - "GET \/bigquery\/v2\/projects\/local-project\/datasets HTTP/);
    },
    startTimeout + 600_000,
  );

  it('takes webhooks and platform events on the published port: each once in ./data/lake and in BigQuery', async () => {
    sent.push(...(await sendRequests(1001, 20)));
    const tickets = Array.from({ length: 5 }, (_, i) => `compose-t${i + 1}`);
    for (const id of tickets) {
      const body = platformBody('ticket:created', { ticket: ticket({ id }) }, { eventId: `${id}-created` });
      accepted(await post('/webhooks/thena/platform', body));
    }
    await expectEachOnce('the lake', sent, lakeRequests);
    await expectEachOnce('BigQuery', sent, bigQueryRequests);
    // The README's DuckDB line, as written there (through the table's link into its generation).
    const readmeQuery = readFileSync(join(repoRoot, 'README.md'), 'utf8')
      .match(/^duckdb -c "(.+)"$/m)![1]!
      .replace("'data/lake/", `'${lakeDir}/`);
    const readmeRows = await inLake(localLake)(readmeQuery);
    expect(readmeRows.map((r) => String(r.request_id)).sort()).toEqual([...sent].sort());
    const ticketsIn = async (query: (sql: string) => Promise<Record<string, unknown>[]>, table: string) =>
      (await query(`SELECT ticket_id FROM ${table}`)).map((r) => String(r.ticket_id)).sort();
    await waitFor(
      'the tickets in both',
      async () => {
        const lake = await ticketsIn(inLake(localLake), 'ticket_latest').catch(() => []);
        const bq = await ticketsIn(inBigQuery, bigQueryTable('ticket_latest')).catch(() => []);
        return lake.join() === tickets.join() && bq.join() === tickets.join();
      },
      120_000,
      2_000,
    );
  }, 300_000);

  it(
    'keeps what the ingress accepted while Kafka was down, across `docker compose down` and `up`',
    async () => {
      const before = { lake: await lakeRequests(), bigquery: await bigQueryRequests() };
      await compose(['stop', 'kafka']);
      // Accepted into the ingress's spool (a volume), since no broker answers.
      const spooled = await sendRequests(2001, 10);
      sent.push(...spooled);
      await compose(['down']);
      await up();
      await expectEachOnce('the lake', sent, lakeRequests);
      await expectEachOnce('BigQuery', sent, bigQueryRequests);
      // What each held before is still there, unchanged.
      const after = { lake: await lakeRequests(), bigquery: await bigQueryRequests() };
      for (const [id, n] of before.lake.events) expect(after.lake.events.get(id), `lake ${id}`).toBe(n);
      for (const [id, n] of before.bigquery.events) expect(after.bigquery.events.get(id), `BigQuery ${id}`).toBe(n);
      // And so does Kafka: the topic still holds the events from before the restart (its data is
      // on the kafka-data volume, not in the container).
      const kafka = new Kafka({ brokers: ['127.0.0.1:9094'], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      try {
        const offsets = await admin.fetchTopicOffsets(topics.requestEvents.name);
        const held = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
        expect(held, 'request webhooks on the topic').toBeGreaterThanOrEqual(sent.length);
      } finally {
        await admin.disconnect();
      }
    },
    startTimeout + 400_000,
  );

  it(
    'puts the lake in a bucket with docker-compose.bucket.yml, read back through DuckDB',
    async () => {
      await up(bucketFiles);
      const ids = await sendRequests(3001, 5);
      const bucket = openStore(
        { kind: 'gcs', bucket: 'thena-lake', prefix: 'lake', endpoint: 'http://127.0.0.1:4443' },
        { scratchDir: join(work, 'scratch') },
      );
      await expectEachOnce('the bucket', ids, () => requestsIn(inLake(bucket)));
    },
    startTimeout + 200_000,
  );

  it(
    'scrapes every service with the observability profile: Prometheus reports each target up',
    async () => {
      await compose(['--profile', 'observability', 'up', '--detach', '--wait', 'prometheus'], bucketFiles);
      const targets = await waitFor(
        'every target up',
        async () => {
          const res = await fetch('http://127.0.0.1:9090/api/v1/targets').catch(() => undefined);
          if (!res?.ok) return false;
          const body = (await res.json()) as { data: { activeTargets: { scrapeUrl: string; health: string }[] } };
          const active = body.data.activeTargets;
          return active.length > 0 && active.every((t) => t.health === 'up') && active;
        },
        90_000,
        2_000,
      );
      expect(targets.map((t) => new URL(t.scrapeUrl).host).sort()).toEqual(
        [
          'ingress:8080',
          'rejected-events:9464',
          'request-activity:9464',
          'request-assignments:9464',
          'request-csat:9464',
          'request-events:9464',
          'ticket-comments:9464',
          'ticket-events:9464',
        ].sort(),
      );
    },
    startTimeout,
  );
});
