// Freshness: how long after the ingress answers `202` a webhook's fact is committed by each sink's
// consumer, and how long until it can be read through that sink's views. Sends Thena-like traffic at
// `--rate` for `--duration` seconds through the whole pipeline (ingress, Kafka, the request tables'
// consumer services, both sinks), and records, per accepted event id:
// - committed: the request-events service's consumer group for each sink (groupIdFor) has
//   committed an offset past the event's message (its partition and offset as the baseline saw
//   it), read with the Admin client every `--commit-poll-ms` (100 ms). The runtime commits only
//   after the sink acknowledged the write (the BigQuery append, the Parquet file made visible), so
//   this is an upper bound on that acknowledgement: later by the commit itself and by up to one
//   offset fetch round (interval plus fetch, printed);
// - visible: request_events' fact view (request_history, fact = event_id) in the Parquet lake
//   (DuckDB, a new connection each poll, as `npm run query` reads it) and in BigQuery (the
//   emulator) returns it, polled every `--poll-ms`. Beside each sink's polls, at the same cadence,
//   an empty query of the same shape (rows received from 2100 on) is timed: the store's own cost of
//   an answer, so that the emulator's query time is not mistaken for the pipeline's.
// The baseline, in the same run: a plain kafkajs consumer on the request events topic, timed from
// the same 202. Prints p50, p95 and max per sink and measure against the baseline and the targets.
// Not a test.
//
//   npm run bench:freshness [-- --duration 60 --rate 50 --bigquery-batch-age-ms 1000 --lake-file-age-s 30
//                            --cpu-prof DIR]
//
// Own ports (29900-29995) and state under .local/bench/freshness (wiped at each start). The
// consumers run with the defaults a user gets unless --bigquery-batch-age-ms or --lake-file-age-s
// say otherwise (the figures in force are printed). At the end it prints each service's CPU
// seconds per 1,000 accepted events and request-events' mean BigQuery write; `--cpu-prof DIR`
// profiles one service (`--cpu-prof-service`, request-csat by default) for 40 s of the run. Reads
// only through the views and the groups' commits, so it measures whatever the sinks do.
//
// Resolution: a fact counts as visible when the poll that returned it answered, so a figure is
// late by up to one poll round (interval plus query time, printed). Targets: the lake "fresh
// within a minute" (docs/design.md); BigQuery committed within 2 s and visible within 5 s plus the
// empty query's p95 of the same run (the "BigQuery freshness" issue).
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Admin, Consumer } from 'kafkajs';
import { localDir } from '../infra/local/paths.js';
import { groupIdFor } from '../services/consumers/runtime/runtime.js';
import { readLake } from '../services/lake/index.js';
import { parseConfig } from '../services/shared/config.js';
import { createKafka } from '../services/shared/kafka.js';
import { createLogger } from '../services/shared/logger.js';
import { requestEvents } from '../tables/catalogue.js';
import { WebhookLoad } from '../test/support/load.js';
import { buildServices } from '../test/support/build.js';
import { cpuNow, pipelineCosts } from '../test/support/cpu.js';
import {
  batchingSettings,
  emptySinceMs,
  figures,
  newSighting,
  noteError,
  oldestUnseen,
  report,
  timestampLiteral,
  type Sighting,
  type SinkWatch,
} from './freshness-report.js';
import { Pipeline, sleep, type PipelinePorts } from '../test/support/pipeline.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    rate: { type: 'string', default: '50' },
    'poll-ms': { type: 'string', default: '500' },
    /** With --cpu-prof DIR: the service to profile (test/support/cpu-profile.ts), from 15 s after its start for 40 s. */
    'cpu-prof': { type: 'string' },
    'cpu-prof-service': { type: 'string', default: 'request-csat' },
    /** BIGQUERY_BATCH_MAX_AGE_MS and LAKE_FILE_MAX_AGE_SECONDS for the consumers, instead of their defaults. */
    'bigquery-batch-age-ms': { type: 'string' },
    'lake-file-age-s': { type: 'string' },
    /** How often the consumer groups' committed offsets are read. */
    'commit-poll-ms': { type: 'string', default: '100' },
    /** After the load ends, how long to wait for the last facts to show. */
    settle: { type: 'string', default: '180' },
    'lake-target': { type: 'string', default: '60' },
    /** Visible through the view, seconds, plus the empty query's p95. */
    'bigquery-target': { type: 'string', default: '5' },
    'bigquery-commit-target': { type: 'string', default: '2' },
  },
});
const durationS = Number(args.duration);
const rate = Number(args.rate);
const pollMs = Number(args['poll-ms']);
const commitPollMs = Number(args['commit-poll-ms']);
const settleS = Number(args.settle);
if (![durationS, rate, pollMs, commitPollMs, settleS].every((n) => n > 0)) {
  throw new Error('--duration, --rate, --poll-ms, --commit-poll-ms and --settle must be positive numbers');
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

const sinkWatch = (name: string, sink: string): SinkWatch => ({
  // Generation 1: the state is fresh, so nothing was rebuilt.
  groupId: groupIdFor(requestEvents.consumer.service, sink),
  committed: newSighting(`${name} committed`),
  visible: newSighting(`${name} visible`),
  empty: newSighting(`${name} empty query`),
});

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
 * Polls a sink's view every `pollMs` until `done()`, recording the first sighting of each accepted
 * id. A failed poll (the emulator busy, say) is counted and the next one tried; it never ends the run.
 */
async function poll(sink: SinkWatch, read: ReadIds, accepted: Map<string, number>, done: () => boolean) {
  const { visible } = sink;
  while (!done()) {
    const t0 = performance.now();
    const oldest = oldestUnseen(visible, accepted);
    if (oldest !== undefined) {
      try {
        const ids = await read(performance.timeOrigin + oldest - receivedSlackMs);
        const t1 = performance.now();
        visible.rounds.push(t1 - t0);
        for (const id of ids) if (!visible.seen.has(id)) visible.seen.set(id, t1);
      } catch (err) {
        noteError(visible, err);
      }
    }
    await orInterrupt(sleep(pollMs - (performance.now() - t0)));
  }
}

/**
 * Times the empty query every `pollMs` while the sink's view has facts to show, as `poll` does, half
 * a period apart from it. Its own loop: after each poll it would lengthen the poll's round, the
 * visible figure's resolution, by the very time it measures.
 */
async function pollEmpty(sink: SinkWatch, read: ReadIds, accepted: Map<string, number>, done: () => boolean) {
  const { visible, empty } = sink;
  await orInterrupt(sleep(pollMs / 2));
  while (!done()) {
    const t0 = performance.now();
    if (oldestUnseen(visible, accepted) !== undefined) {
      try {
        const ids = await read(emptySinceMs);
        if (ids.length > 0) throw new Error(`the empty query returned ${ids.length} rows`);
        empty.rounds.push(performance.now() - t0);
      } catch (err) {
        noteError(empty, err);
      }
    }
    await orInterrupt(sleep(pollMs - (performance.now() - t0)));
  }
}

/** Each partition's events in offset order, as the baseline met them: matched against commits. */
type Placements = Map<number, { id: string; offset: number }[]>;

/** A plain consumer of the request events topic: the moment each event id arrives, and where. */
async function startKafkaBaseline(p: Pipeline, sighting: Sighting, placements: Placements): Promise<Consumer> {
  const logger = createLogger('freshness-baseline', { LOG_LEVEL: 'fatal' });
  const consumer = createKafka({ clientId: 'freshness-baseline', brokers: p.brokers, logger }).consumer({
    groupId: `freshness-baseline-${Date.now()}`,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: requestEvents.consumer.topic, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const at = performance.now();
      const id = (JSON.parse(message.value?.toString() ?? '{}') as { eventId?: string }).eventId;
      // A repeat (a publish the ingress retried) is left out: the first copy is the one timed.
      if (!id || sighting.seen.has(id)) return;
      sighting.seen.set(id, at);
      const events = placements.get(partition) ?? [];
      placements.set(partition, events);
      events.push({ id, offset: Number(message.offset) });
    },
  });
  await orInterrupt(joined);
  return consumer;
}

/**
 * Reads each sink's committed offsets every `commitPollMs` until `done()`: an event counts as
 * committed at the first read that finds its partition's committed offset (the next one to read)
 * past its own. An event the baseline meets after its commit counts at the next read. A failed
 * read is counted and the next one tried.
 */
async function watchCommits(admin: Admin, sinks: SinkWatch[], placements: Placements, done: () => boolean) {
  // Per sink and partition, how many of the partition's placements are counted as committed.
  const counted = new Map(sinks.map((s) => [s, new Map<number, number>()]));
  while (!done()) {
    const t0 = performance.now();
    await Promise.all(
      sinks.map(async (sink) => {
        const { committed } = sink;
        try {
          const [answer] = await admin.fetchOffsets({ groupId: sink.groupId, topics: [requestEvents.consumer.topic] });
          const t1 = performance.now();
          committed.rounds.push(t1 - t0);
          const reached = counted.get(sink)!;
          for (const { partition, offset } of answer?.partitions ?? []) {
            const events = placements.get(partition) ?? [];
            let i = reached.get(partition) ?? 0;
            // Nothing committed yet answers -1, below every offset.
            for (; i < events.length && events[i]!.offset < Number(offset); i++) committed.seen.set(events[i]!.id, t1);
            reached.set(partition, i);
          }
        } catch (err) {
          noteError(committed, err);
        }
      }),
    );
    await orInterrupt(sleep(commitPollMs - (performance.now() - t0)));
  }
}

async function measure(p: Pipeline): Promise<boolean> {
  const accepted = new Map<string, number>();
  const kafka = newSighting('Kafka delivery');
  const placements: Placements = new Map();
  const lake = sinkWatch('lake', 'parquet');
  const bigquery = sinkWatch('BigQuery', 'bigquery');
  const sightings = [kafka, ...[lake, bigquery].flatMap((s) => [s.committed, s.visible])];
  const consumer = await startKafkaBaseline(p, kafka, placements);
  const admin = createKafka({
    clientId: 'freshness-commits',
    brokers: p.brokers,
    logger: createLogger('freshness-commits', { LOG_LEVEL: 'fatal' }),
  }).admin();
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
    sightings.every((s) => [...accepted.keys()].every((id) => s.seen.has(id))) || performance.now() > deadline;
  const crashed = () => Object.keys(p.crashes()).length > 0;
  const done = () => wasInterrupted || crashed() || (loadDone && allSeen());
  const stopOnCrash = () => {
    if (crashed()) throw new Error(`a service exited on its own: ${JSON.stringify(p.crashes())}; see ${p.logDir}`);
  };
  let cpuBefore: Map<string, number> | undefined;
  try {
    await orInterrupt(admin.connect());
    const polls = Promise.all([
      poll(lake, lakeReader(p), accepted, done),
      poll(bigquery, bigQueryReader(p), accepted, done),
      pollEmpty(lake, lakeReader(p), accepted, done),
      pollEmpty(bigquery, bigQueryReader(p), accepted, done),
      watchCommits(admin, [lake, bigquery], placements, done),
    ]);
    polls.catch(() => undefined);
    const t0 = performance.now();
    cpuBefore = cpuNow(p);
    load.start();
    for (let t = 10; t < durationS; t += 10) {
      await orInterrupt(sleep(t0 + t * 1000 - performance.now()));
      console.log(
        `[${t} s] accepted ${accepted.size}; committed: lake ${lake.committed.seen.size}, ` +
          `BigQuery ${bigquery.committed.seen.size}; visible: lake ${lake.visible.seen.size}, ` +
          `BigQuery ${bigquery.visible.seen.size}`,
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
    await Promise.allSettled([consumer.disconnect(), admin.disconnect()]);
  }
  const cost = cpuBefore && !wasInterrupted ? await pipelineCosts(p, cpuBefore, accepted.size) : '';
  const targets = {
    lake: Number(args['lake-target']),
    bigQueryCommitted: Number(args['bigquery-commit-target']),
    bigQueryVisible: Number(args['bigquery-target']),
  };
  console.log(report(lake, bigquery, kafka, accepted, targets) + cost);
  return sightings.every((s) => figures(s, accepted).seen === accepted.size) && accepted.size > 0;
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  const machine = `${cpus.length} x ${cpus[0]?.model ?? 'unknown cpu'}, node ${process.version}`;
  console.log(`freshness: ${durationS} s at ${rate}/s, ${new Date().toISOString()}, ${machine}`);
  let complete = false;
  // Not supervised: a service restarted mid-run would spoil the figures, and one restarted after a
  // Ctrl-C during start-up would outlive this script. A crash ends the run instead.
  // The services run from the build: compiled from these sources now, not left from a test run.
  buildServices();
  const profileDir = args['cpu-prof'] && resolve(args['cpu-prof']);
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const starting = Pipeline.start({
    name: 'freshness',
    jvm: 'server',
    dir: join(localDir, 'bench', 'freshness'),
    ports,
    // The defaults a user gets, unless the command line says otherwise.
    env: {
      ...(args['bigquery-batch-age-ms'] && { BIGQUERY_BATCH_MAX_AGE_MS: args['bigquery-batch-age-ms'] }),
      ...(args['lake-file-age-s'] && { LAKE_FILE_MAX_AGE_SECONDS: args['lake-file-age-s'] }),
      ...(profileDir && { CPU_PROFILE_DIR: profileDir, CPU_PROFILE_START_S: '15', CPU_PROFILE_SECONDS: '40' }),
    },
    ...(profileDir && {
      preload: {
        service: args['cpu-prof-service'],
        module: join(import.meta.dirname, '../test/support/cpu-profile.ts'),
      },
    }),
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
