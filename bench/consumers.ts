// Kafka -> committed Parquet, per consumer service, next to the raw speed of the same writer
// (writeParquetFile on the same rows, no Kafka) and of DuckDB's COPY ... TO parquet for the same
// rows, all measured in this run. Prints events/s, rows/s and the ratios. Not a test.
//
//   npm run bench:consumers [-- --events 20000 --activity 20 --services request-csat,request-events]
//                           [-- --port 29192] [-- --compression none|gzip] [-- --cpu-prof DIR]
//
// Starts its own Kafka (127.0.0.1:--port, its controller on the next port; 29192 by default).
// `--cpu-prof DIR` writes one V8 CPU profile per service covering only its pipeline window (join to
// last commit), not the event generation or the raw writers. Events carry `--activity` distinct activity items each
// (the shape MEASURED.md used), so every service writes full rows.
import { benchEvents } from './events.js';
import { mkdtempSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Session } from 'node:inspector/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { CompressionTypes } from 'kafkajs';
import { startKafka } from '../infra/kafka/kafka.js';
import { localDir } from '../infra/local/paths.js';
import { topics } from '../schemas/topics.js';
import type { TableDeclaration } from '../schemas/table.js';
import { eventMessage } from '../services/ingress/envelope.js';
import { createKafka, createProducer, ensureTopics } from '../services/shared/kafka.js';
import { createLogger } from '../services/shared/logger.js';
import { createRegistry } from '../services/shared/metrics.js';
import { consumerMetrics } from '../services/consumers/runtime/metrics.js';
import { startConsumer } from '../services/consumers/runtime/runtime.js';
import { parquetSink } from '../services/lake/sink.js';
import { writeParquetFile } from '../services/lake/parquet/writer.js';
import type { Row } from '../schemas/flattener.js';
import { catalogue, tableOfService } from '../tables/catalogue.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    activity: { type: 'string', default: '20' },
    port: { type: 'string', default: '29192' },
    // The ingress sends GZIP batches (services/shared/kafka.ts); 'none' was this bench's only way.
    compression: { type: 'string', default: 'none' },
    'cpu-prof': { type: 'string' },
    // Every table fed by the events topic (the dead-letter topic's is not measured here).
    services: {
      type: 'string',
      default: catalogue
        .filter((t) => t.consumer.topic === topics.requestEvents.name)
        .map((t) => t.consumer.service)
        .join(','),
    },
  },
});
const eventCount = Number(args.events);
const compression = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP }[args.compression];
if (compression === undefined) throw new Error(`--compression: '${args.compression}' is not one of none, gzip`);
const port = Number(args.port);
if (!Number.isInteger(port) || port < 1024 || port > 65534) {
  throw new Error(`--port: '${args.port}' is not a port; expected 1024-65534 (the controller takes the next one)`);
}
const activityPerEvent = Number(args.activity);
const logger = createLogger('bench', { LOG_LEVEL: 'fatal' });
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
/** This process's CPU seconds since `from`: steadier than wall time on a machine shared with other work. */
const cpuSeconds = (from: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(from);
  return (user + system) / 1e6;
};

/** The records the ingress would write for the bench's events: key, envelope and summary header. */
function envelopes(): { key: string; value: string; headers?: Record<string, string> }[] {
  return benchEvents(eventCount, activityPerEvent).map((e) => ({ key: e.requestId, ...eventMessage(e, new Date()) }));
}

/** DuckDB writing the same rows: NDJSON -> read_json -> COPY ... (FORMAT parquet), serialisation included. */
async function duckdbCopy(table: TableDeclaration, rows: Row[], dir: string): Promise<number> {
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const t0 = process.hrtime.bigint();
  const ndjson = join(dir, `${table.name}.ndjson`);
  await writeFile(
    ndjson,
    rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).join('\n'),
  );
  const jsonType = (c: TableDeclaration['columns'][number]) =>
    c.mode === 'REPEATED'
      ? 'VARCHAR[]'
      : { STRING: 'VARCHAR', INT64: 'BIGINT', TIMESTAMP: 'BIGINT', BOOL: 'BOOLEAN' }[c.type];
  const columns = table.columns.map((c) => `${c.name}: '${jsonType(c)}'`).join(', ');
  const select = table.columns
    .map((c) => (c.type === 'TIMESTAMP' ? `make_timestamp(${c.name}) AS ${c.name}` : c.name))
    .join(', ');
  await db.run(
    `COPY (SELECT ${select} FROM read_json('${ndjson}', format = 'newline_delimited', columns = {${columns}})) ` +
      `TO '${join(dir, `${table.name}.duckdb.parquet`)}' (FORMAT parquet)`,
  );
  return seconds(t0);
}

/** Starts V8's sampling profiler in this process when --cpu-prof is given; the stop writes `<name>.cpuprofile`. */
async function profile(name: string): Promise<() => Promise<void>> {
  const dir = args['cpu-prof'];
  if (!dir) return async () => undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile: result } = await session.post('Profiler.stop');
    session.disconnect();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${name}.cpuprofile`), JSON.stringify(result));
  };
}

async function main() {
  const kafka = await startKafka({
    dataDir: join(localDir, 'bench', port === 29192 ? 'kafka' : `kafka-${port}`),
    port,
    controllerPort: port + 1,
    fresh: true,
  });
  const client = createKafka({ clientId: 'bench', brokers: kafka.brokers, logger });
  const admin = client.admin();
  try {
    await ensureTopics(client, Object.values(topics));
    const messages = envelopes();
    const producer = createProducer(client);
    await producer.connect();
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({
        topic: topics.requestEvents.name,
        acks: -1,
        compression,
        messages: messages.slice(i, i + 500),
      });
    }
    await producer.disconnect();
    await admin.connect();
    const end = (await admin.fetchTopicOffsets(topics.requestEvents.name)).reduce((n, p) => n + Number(p.high), 0);

    const results: string[] = [];
    for (const name of args.services.split(',')) {
      const table = tableOfService(name);
      if (!table) throw new Error(`--services: no table has a consumer named '${name}'`);
      const lakeDir = mkdtempSync(join(tmpdir(), 'thena-bench-'));
      const metrics = consumerMetrics(createRegistry(name));
      const consumer = await startConsumer({
        table,
        kafka: client,
        sink: parquetSink({ lakeDir, table }),
        publish: async () => undefined,
        deadLetterTopic: topics.deadLetter.name,
        logger,
        metrics,
        // A short age limit so the last file closes promptly: the figure is throughput, not freshness.
        limits: { maxRows: 100_000, maxBytes: 256 * 1024 * 1024, maxAgeMs: 250 },
        onFatal: (err) => {
          throw err;
        },
      });
      while (!consumer.readiness().ready) await new Promise((r) => setTimeout(r, 20));
      const stopProfile = await profile(name);
      const t0 = process.hrtime.bigint();
      const cpu0 = process.cpuUsage();
      // When the last message was flattened, apart from when its offset was committed: the
      // difference is the last files waiting to close (their age, checked once a second).
      let consumedSeconds: number | undefined;
      for (;;) {
        if (consumedSeconds === undefined && (await metrics.messages.get()).values[0]?.value === end) {
          consumedSeconds = seconds(t0);
        }
        const committed = (await admin.fetchOffsets({ groupId: consumer.groupId, topics: [table.consumer.topic] }))[0]!
          .partitions;
        if (committed.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) >= end) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const pipelineSeconds = seconds(t0);
      const pipelineCpu = cpuSeconds(cpu0);
      await stopProfile();
      await consumer.stop();

      // The same rows, flattened without Kafka (timed: the pipeline's reading share), written by
      // the same writer and by DuckDB.
      const tf = process.hrtime.bigint();
      const rows = messages.flatMap((m, i) => {
        const out = table.consumer.flatten({
          topic: table.consumer.topic,
          partition: 0,
          offset: String(i),
          value: m.value,
          header: (name) => m.headers?.[name],
        });
        return out.kind === 'rows' ? out.rows : [];
      });
      const flattenSeconds = seconds(tf);
      const rawDir = mkdtempSync(join(tmpdir(), 'thena-bench-raw-'));
      const t1 = process.hrtime.bigint();
      const cpu1 = process.cpuUsage();
      await writeParquetFile(table, rows, join(rawDir, `${table.name}.parquet`));
      const rawSeconds = seconds(t1);
      const rawCpu = cpuSeconds(cpu1);
      const duckSeconds = await duckdbCopy(table, rows, rawDir);
      await Promise.all([rm(lakeDir, { recursive: true }), rm(rawDir, { recursive: true })]);

      const pipelineRate = rows.length / pipelineSeconds;
      const rawRate = rows.length / rawSeconds;
      results.push(
        `${name.padEnd(20)} ${String(rows.length).padStart(7)} rows  ` +
          `pipeline ${(eventCount / pipelineSeconds).toFixed(0).padStart(6)} events/s ${pipelineRate.toFixed(0).padStart(7)} rows/s  ` +
          `raw writer ${rawRate.toFixed(0).padStart(7)} rows/s  duckdb ${(rows.length / duckSeconds).toFixed(0).padStart(7)} rows/s  ` +
          `consumed ${(consumedSeconds ?? pipelineSeconds).toFixed(2)} s committed ${pipelineSeconds.toFixed(2)} s  ` +
          `flatten alone ${(eventCount / flattenSeconds).toFixed(0).padStart(6)} events/s  ` +
          `pipeline/raw ${(pipelineRate / rawRate).toFixed(2)} (target >= 0.70)  ` +
          `cpu ${pipelineCpu.toFixed(2)} s vs raw ${rawCpu.toFixed(2)} s: ${(rawCpu / pipelineCpu).toFixed(2)}`,
      );
    }
    process.stdout.write(
      `\nconsumer benchmark: ${eventCount} events with ${activityPerEvent} activity items each, ${args.compression} batches, Kafka -> committed Parquet, ${(await import('node:os')).cpus().length} cores\n\n${results.join('\n')}\n\n`,
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
    await kafka.stop();
  }
}

await main();
