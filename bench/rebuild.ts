// How long a rebuild takes, next to the live consumer on the same events in the same run: the
// table's service consumes the topic into generation 1 (the baseline), then `rebuild` writes
// generation 2 from the whole topic, catches up, switches and removes generation 1. Prints events/s
// for both and their ratio. Not a test.
//
//   npm run bench:rebuild [-- --events 20000 --table request_activity]
//
// Starts its own Kafka (127.0.0.1:29192); the lake only (BigQuery's emulator is not a measure of
// BigQuery's speed).
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startKafka } from '../infra/kafka/kafka.js';
import { localDir } from '../infra/local/paths.js';
import { topics } from '../schemas/topics.js';
import { followTable } from '../services/consumers/follow-table.js';
import { rebuild } from '../services/consumers/rebuild.js';
import { consumerMetrics } from '../services/consumers/runtime/metrics.js';
import { groupIdFor } from '../services/consumers/runtime/runtime.js';
import { classify, eventEnvelope } from '../services/ingress/index.js';
import { lakeGenerations } from '../services/lake/index.js';
import { controlWriter, readControl } from '../services/shared/control.js';
import { createKafka, createProducer, ensureTopics } from '../services/shared/kafka.js';
import { createLogger } from '../services/shared/logger.js';
import { createRegistry } from '../services/shared/metrics.js';
import { progress } from '../services/shared/progress.js';
import { catalogue } from '../tables/catalogue.js';
import { lifecycle } from '../test/fixtures/lifecycle.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    table: { type: 'string', default: 'request_activity' },
  },
});
const eventCount = Number(args.events);
const table = catalogue.find((t) => t.name === args.table);
if (!table) throw new Error(`--table: no table named ${args.table}`);
const logger = createLogger('bench', { LOG_LEVEL: 'fatal' });
const seconds = (t0: number) => (Date.now() - t0) / 1000;

function envelopes(): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (let r = 0; out.length < eventCount; r++) {
    for (const body of lifecycle(String(800_000 + r)).bodies) {
      const result = classify(JSON.stringify(body));
      if (result.kind !== 'accepted') throw new Error('bench body rejected');
      out.push({ key: result.requestId, value: eventEnvelope(result, new Date()) });
    }
  }
  return out.slice(0, eventCount);
}

async function committed(kafka: ReturnType<typeof createKafka>, groupId: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const [found] = await admin.fetchOffsets({ groupId, topics: [topics.requestEvents.name] });
  await admin.disconnect();
  return (found?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
}

async function main() {
  const broker = await startKafka({
    dataDir: join(localDir, 'bench', 'kafka-rebuild'),
    port: 29192,
    controllerPort: 29193,
    fresh: true,
  });
  const kafka = createKafka({ clientId: 'bench', brokers: broker.brokers, logger });
  const lakeDir = mkdtempSync(join(tmpdir(), 'thena-bench-rebuild-'));
  try {
    await ensureTopics(kafka, Object.values(topics));
    const producer = createProducer(kafka);
    await producer.connect();
    const messages = envelopes();
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic: topics.requestEvents.name, acks: -1, messages: messages.slice(i, i + 500) });
    }
    await producer.disconnect();

    const store = lakeGenerations(lakeDir);
    const t0 = Date.now();
    const live = await followTable({
      table: table!,
      stores: [store],
      kafka,
      publish: async () => undefined,
      limits: { maxRows: 100_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: 250 },
      registry: createRegistry('bench-live'),
      logger,
      onFatal: (err) => {
        throw err;
      },
    });
    while ((await committed(kafka, groupIdFor(table!.consumer.service, 'parquet'))) < eventCount) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const liveSeconds = seconds(t0);

    const control = await controlWriter(kafka);
    const t1 = Date.now();
    const report = await rebuild({
      table: table!,
      store,
      kafka,
      control,
      controlState: await readControl(kafka),
      publish: async () => undefined,
      deadLetterTopic: topics.deadLetter.name,
      logger,
      metrics: consumerMetrics(createRegistry('bench-rebuild')),
      force: true,
      keepOldMs: 0,
      progress: progress(`rebuild ${table!.name}`),
    });
    const rebuildSeconds = seconds(t1);
    await control.close();
    await live.stop();
    const rate = (s: number) => Math.round(eventCount / s).toLocaleString('en-US');
    process.stdout.write(
      `\nrebuild benchmark: ${eventCount.toLocaleString('en-US')} events, table ${table!.name}, the lake, ${cpus().length} cores\n` +
        `  live consumer (baseline)  ${liveSeconds.toFixed(1)} s  ${rate(liveSeconds)} events/s\n` +
        `  rebuild, switch included  ${rebuildSeconds.toFixed(1)} s  ${rate(rebuildSeconds)} events/s  ` +
        `(generation ${report.from} -> ${report.to}; ${(liveSeconds / rebuildSeconds).toFixed(2)} of the live rate)\n\n`,
    );
  } finally {
    await rm(lakeDir, { recursive: true, force: true });
    await broker.stop();
  }
}

await main();
