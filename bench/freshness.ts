// Freshness: how long after the ingress answers `202` a webhook's fact can be read through each
// sink's views. Sends Thena-like traffic at `--rate` for `--duration` seconds through the whole
// pipeline (ingress, Kafka, the request tables' consumer services, both sinks), and polls
// request_events' fact view (request_history, fact = event_id) in the Parquet lake (DuckDB, a new
// connection each poll, as `npm run query` reads it) and in BigQuery (the emulator) every
// `--poll-ms`, recording when each accepted event id is first visible. The baseline, in the same
// run: a plain kafkajs consumer on the request events topic, timed from the same 202. Prints p50,
// p95 and max per sink against the baseline and a target. Not a test.
//
//   npm run bench:freshness [-- --duration 60 --rate 50]
//
// Own ports (29900-29995) and state under .local/bench/freshness (wiped at each start). The
// consumers run with the defaults a user gets (nothing about batching is overridden; the figures
// in force are printed). Reads only through the views, so it measures whatever the sinks do.
//
// Resolution: a fact counts as visible when the poll that returned it answered, so a figure is
// late by up to one poll round (interval plus query time, printed). Targets: the lake "fresh
// within a minute" (docs/design.md); BigQuery 5 s (the "speed and cost" issue).
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Consumer } from 'kafkajs';
import { localDir } from '../infra/local/paths.js';
import { readLake } from '../services/lake/index.js';
import { parseConfig } from '../services/shared/config.js';
import { createKafka } from '../services/shared/kafka.js';
import { createLogger } from '../services/shared/logger.js';
import { topics } from '../schemas/topics.js';
import { requestEvents } from '../tables/catalogue.js';
import { WebhookLoad } from '../test/support/load.js';
import { Pipeline, sleep, type PipelinePorts } from '../test/support/pipeline.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    rate: { type: 'string', default: '50' },
    'poll-ms': { type: 'string', default: '500' },
    /** After the load ends, how long to wait for the last facts to show. */
    settle: { type: 'string', default: '180' },
    'lake-target': { type: 'string', default: '60' },
    'bigquery-target': { type: 'string', default: '5' },
  },
});
const durationS = Number(args.duration);
const rate = Number(args.rate);
const pollMs = Number(args['poll-ms']);
const settleS = Number(args.settle);
if (![durationS, rate, pollMs, settleS].every((n) => n > 0)) {
  throw new Error('--duration, --rate, --poll-ms and --settle must be positive numbers');
}
const ports: PipelinePorts = {
  kafka: 29994,
  kafkaController: 29995,
  emulator: 29970,
  emulatorGrpc: 29980,
  ingress: 29900,
  consumerMetricsBase: 29910, // two per consumer service: 29910-29919
  gcs: 29960, // not started: the lake is a local folder
};
const view = requestEvents.factView;
// An event's received_at (set by the ingress) is at most one request timeout plus slack before its
// 202, so each poll asks only for rows received since the oldest still-unseen 202 less this.
const receivedSlackMs = 35_000;

// Ctrl-C: every wait below races this, so the finally block closes the pipeline.
let wasInterrupted = false;
let interrupt = () => {};
const interrupted = new Promise<never>((_, reject) => (interrupt = () => reject(new Error('interrupted'))));
interrupted.catch(() => undefined);
const orInterrupt = <T>(p: Promise<T>) => Promise.race([p, interrupted]);
let interruptedAt = 0;
process.on('SIGINT', () => {
  if (!wasInterrupted) {
    wasInterrupted = true;
    interruptedAt = performance.now();
    console.log('\ninterrupted: stopping the pipeline (a second Ctrl-C leaves at once)');
    interrupt();
    return;
  }
  // npm and tsx relay a terminal's Ctrl-C as well, so one press arrives two or three times; only a
  // second press leaves at once (and may leave Kafka and the emulator running).
  if (performance.now() - interruptedAt > 2_000) process.exit(130);
});

/** First time (performance.now()) each event id was seen somewhere, and how each look went. */
interface Sighting {
  name: string;
  seen: Map<string, number>;
  /** Duration of each poll (query and answer), ms. */
  rounds: number[];
  errors: number;
  lastError?: string;
}

const newSighting = (name: string): Sighting => ({ name, seen: new Map(), rounds: [], errors: 0 });

/** A timestamp literal both DuckDB (UTC without zone) and BigQuery (UTC by default) read alike. */
const timestampLiteral = (epochMs: number) =>
  `TIMESTAMP '${new Date(epochMs).toISOString().replace('T', ' ').replace('Z', '')}'`;

/** The event ids the sink's fact view holds among rows received since `sinceMs` (epoch ms). */
type ReadIds = (sinceMs: number) => Promise<string[]>;

function lakeReader(p: Pipeline): ReadIds {
  return (sinceMs) =>
    readLake(
      p.lake,
      async (c) =>
        (
          await c.runAndReadAll(`SELECT event_id FROM ${view} WHERE received_at >= ${timestampLiteral(sinceMs)}`)
        ).getRowObjectsJS(),
      [requestEvents],
    ).then((rows) => rows.map((r) => String(r.event_id)));
}

function bigQueryReader(p: Pipeline): ReadIds {
  return async (sinceMs) => {
    const [rows] = await p.bq.query(
      `SELECT event_id FROM \`${p.project}.${p.dataset}.${view}\` WHERE received_at >= ${timestampLiteral(sinceMs)}`,
    );
    return (rows as { event_id: string }[]).map((r) => r.event_id);
  };
}

/**
 * Polls a sink every `pollMs` until `done()`, recording the first sighting of each accepted id.
 * A failed poll (the emulator busy, say) is counted and the next one tried; it never ends the run.
 */
async function poll(sink: Sighting, read: ReadIds, accepted: Map<string, number>, done: () => boolean) {
  while (!done()) {
    const t0 = performance.now();
    let oldest: number | undefined;
    for (const [id, at] of accepted) {
      if (!sink.seen.has(id)) {
        oldest = at;
        break;
      }
    }
    if (oldest !== undefined) {
      try {
        const ids = await read(performance.timeOrigin + oldest - receivedSlackMs);
        const t1 = performance.now();
        sink.rounds.push(t1 - t0);
        for (const id of ids) if (!sink.seen.has(id)) sink.seen.set(id, t1);
      } catch (err) {
        sink.errors++;
        sink.lastError = (err as Error).message.split('\n')[0];
      }
    }
    await orInterrupt(sleep(pollMs - (performance.now() - t0)));
  }
}

/** A plain consumer of the request events topic: the moment each event id arrives. */
async function startKafkaBaseline(p: Pipeline, sighting: Sighting): Promise<Consumer> {
  const logger = createLogger('freshness-baseline', { LOG_LEVEL: 'fatal' });
  const consumer = createKafka({ clientId: 'freshness-baseline', brokers: p.brokers, logger }).consumer({
    groupId: `freshness-baseline-${Date.now()}`,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.requestEvents.name, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const at = performance.now();
      const id = (JSON.parse(message.value?.toString() ?? '{}') as { eventId?: string }).eventId;
      if (id && !sighting.seen.has(id)) sighting.seen.set(id, at);
    },
  });
  await orInterrupt(joined);
  return consumer;
}

interface Figures {
  seen: number;
  p50: number;
  p95: number;
  max: number;
}

/** Seconds from each accepted id's 202 to its first sighting (nearest-rank percentiles). */
function figures(sink: Sighting, accepted: Map<string, number>): Figures {
  const lags = [...accepted]
    .flatMap(([id, at]) => (sink.seen.has(id) ? [(sink.seen.get(id)! - at) / 1000] : []))
    .sort((a, b) => a - b);
  const rank = (q: number) => lags[Math.max(0, Math.ceil(q * lags.length) - 1)] ?? NaN;
  return { seen: lags.length, p50: rank(0.5), p95: rank(0.95), max: lags.at(-1) ?? NaN };
}

const secs = (s: number) => (Number.isNaN(s) ? '-' : Math.abs(s) < 1 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`);
const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function report(sinks: Sighting[], kafka: Sighting, accepted: Map<string, number>, targets: Record<string, number>) {
  const base = figures(kafka, accepted);
  const row = (s: Sighting, f: Figures) => {
    const round = medianOf(s.rounds);
    const cells = [
      `${f.seen}/${accepted.size}`.padStart(11),
      secs(f.p50).padStart(8),
      secs(f.p95).padStart(8),
      secs(f.max).padStart(8),
      (round === undefined ? '-' : `${Math.round(round)} ms`).padStart(10),
      String(s.errors).padStart(7),
    ];
    return `  ${s.name.padEnd(24)} ${cells.join(' ')}`;
  };
  const lines = [
    `\n  ${'sink'.padEnd(24)} ${'seen'.padStart(11)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'max'.padStart(8)} ${'query (med)'.padStart(10)} ${'errors'.padStart(7)}`,
    row(kafka, base),
  ];
  const verdicts: string[] = [];
  for (const s of sinks) {
    const f = figures(s, accepted);
    lines.push(row(s, f));
    const missing = accepted.size - f.seen;
    const target = targets[s.name]!;
    verdicts.push(
      `${s.name} p95 ${secs(f.p95)} (Kafka delivery p95 ${secs(base.p95)}; target ${target} s)` +
        `${f.p95 <= target ? '' : ': above target'}${missing ? `; ${missing} accepted facts never seen` : ''}` +
        `${s.lastError ? `; last poll error: ${s.lastError}` : ''}`,
    );
  }
  return [...lines, '', ...verdicts.map((v) => `  ${v}`)].join('\n');
}

/** The batching settings in force for the consumers (both sinks), as parsed from their environment. */
function batchingSettings(p: Pipeline): string {
  const config = parseConfig(p.env) as Record<string, unknown>;
  return Object.entries(config)
    .filter(([name]) => /^LAKE_FILE_|^BIGQUERY_.*(BATCH|DEADLINE|FLUSH|MAX|AGE)/.test(name))
    .map(([name, value]) => `${name}=${String(value)}${name in p.options.env! ? ' (set by this run)' : ''}`)
    .join(', ');
}

async function measure(p: Pipeline): Promise<boolean> {
  const accepted = new Map<string, number>();
  const kafka = newSighting('Kafka delivery');
  const lake = newSighting('lake');
  const bigquery = newSighting('BigQuery');
  const consumer = await startKafkaBaseline(p, kafka);
  const load = new WebhookLoad({
    url: p.ingressUrl,
    token: p.token,
    ratePerSecond: rate,
    invalidEvery: 50, // as the soak: the rejection path carries its share of the load too
    onAccepted: (id) => accepted.set(id, performance.now()),
  });
  let loadDone = false;
  let deadline = Infinity;
  const allSeen = () =>
    [kafka, lake, bigquery].every((s) => [...accepted.keys()].every((id) => s.seen.has(id))) ||
    performance.now() > deadline;
  const crashed = () => Object.keys(p.crashes()).length > 0;
  const done = () => wasInterrupted || crashed() || (loadDone && allSeen());
  const stopOnCrash = () => {
    if (crashed()) throw new Error(`a service exited on its own: ${JSON.stringify(p.crashes())}; see ${p.logDir}`);
  };
  try {
    const polls = Promise.all([
      poll(lake, lakeReader(p), accepted, done),
      poll(bigquery, bigQueryReader(p), accepted, done),
    ]);
    polls.catch(() => undefined);
    const t0 = performance.now();
    load.start();
    for (let t = 10; t < durationS; t += 10) {
      await orInterrupt(sleep(t0 + t * 1000 - performance.now()));
      console.log(
        `[${t} s] accepted ${accepted.size}, visible: lake ${lake.seen.size}, BigQuery ${bigquery.seen.size}`,
      );
      stopOnCrash();
    }
    await orInterrupt(sleep(t0 + durationS * 1000 - performance.now()));
    await orInterrupt(load.stop());
    console.log(`load: ${load.summary()}; waiting up to ${settleS} s for the last facts`);
    deadline = performance.now() + settleS * 1000;
    loadDone = true;
    await orInterrupt(polls);
    stopOnCrash();
  } finally {
    load.abandon();
    await consumer.disconnect().catch(() => undefined);
  }
  const targets = { lake: Number(args['lake-target']), BigQuery: Number(args['bigquery-target']) };
  console.log(report([lake, bigquery], kafka, accepted, targets));
  return [lake, bigquery].every((s) => figures(s, accepted).seen === accepted.size) && accepted.size > 0;
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  const machine = `${cpus.length} x ${cpus[0]?.model ?? 'unknown cpu'}, node ${process.version}`;
  console.log(`freshness: ${durationS} s at ${rate}/s, ${new Date().toISOString()}, ${machine}`);
  let complete = false;
  // Not supervised: a service restarted mid-run would spoil the figures, and one restarted after a
  // Ctrl-C during start-up would outlive this script. A crash ends the run instead.
  const starting = Pipeline.start({
    name: 'freshness',
    jvm: 'server',
    dir: join(localDir, 'bench', 'freshness'),
    ports,
    env: {}, // the defaults a user gets
  });
  const p = await orInterrupt(starting).catch(async (err: Error) => {
    // Pipeline.start stops what it started when it fails; after a Ctrl-C, wait for it to finish.
    if (wasInterrupted) await starting.then((started) => started.close()).catch(() => undefined);
    console.log(`
freshness stopped while starting the pipeline: ${err.message}`);
    return undefined;
  });
  if (p) {
    try {
      console.log(`consumer batching in force: ${batchingSettings(p)}`);
      console.log(`probe: ${view} (fact: event_id); polls every ${pollMs} ms; logs in ${p.logDir}`);
      const maxAge = Number(parseConfig(p.env).LAKE_FILE_MAX_AGE_SECONDS);
      if (durationS < 2 * maxAge) {
        // Every event then falls in the first file of each partition, closed maxAge after the start.
        console.log(`note: --duration ${durationS} is under two file ages (${2 * maxAge} s); the figures lean late`);
      }
      complete = await measure(p);
    } catch (err) {
      console.log(`\nfreshness stopped: ${(err as Error).message}`);
    } finally {
      await p.close();
    }
  }
  // Explicitly: the load's retry timers would keep the process alive.
  process.exit(wasInterrupted ? 130 : complete ? 0 : 1);
}

await main();
