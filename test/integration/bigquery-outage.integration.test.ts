// The BigQuery emulator stopped mid-stream and started again: the BigQuery consumer pauses and
// retries, commits nothing it has not written, and afterwards every event is there once.
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { startEmulator } from '../../infra/bigquery-emulator/emulator.js';
import { localDir } from '../../infra/local/paths.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { migrate } from '../../services/bigquery/migrate.js';
import { bigQuerySink, createWriteClient, toBigQueryRow } from '../../services/bigquery/index.js';
import { flattened } from '../support/flatten.js';
import { requestEvents } from '../../tables/catalogue.js';
import { envelopeMessage } from '../fixtures/envelopes.js';
import { repeatedFactsSql } from '../support/repeats.js';
import { testPorts } from '../support/global-setup.js';
import { lakeFixture } from '../support/lake.js';
import { waitFor } from '../support/wait.js';
import { webhook } from '../fixtures/webhooks.js';

const events = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => webhook({ requestId: String(8000 + from + i), status: 'NEW' }));

describe('BigQuery sink through an emulator outage', () => {
  it('loses nothing, commits nothing early, and writes each event once', async () => {
    const project = 'outage-project';
    const options = {
      dataDir: join(localDir, 'test', 'bigquery-outage'),
      port: testPorts.outageEmulator,
      grpcPort: testPorts.outageEmulatorGrpc,
      project,
    };
    let emulator = await startEmulator({ ...options, fresh: true });
    const bq = createBigQuery({ BIGQUERY_PROJECT: project, BIGQUERY_API_ENDPOINT: emulator.endpoint })!;
    const writeClient = createWriteClient({ BIGQUERY_STORAGE_API_ENDPOINT: emulator.storageEndpoint });
    const dataset = 'outage';
    await migrate(bq, { dataset, location: 'US' });
    const fx = await lakeFixture(inject('kafkaBrokers'));
    const admin = fx.kafka.admin();
    await admin.connect();
    const historyCount = async () => {
      const [rows] = await bq.query(
        `SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM \`${project}.${dataset}.request_history\``,
      );
      return rows[0] as { n: number; d: number };
    };
    // The base table, not a view: the views remove repeats, so only here can a repeat show.
    const baseTable = `\`${project}.${dataset}.request_events\``;
    const baseCount = async () => Number((await bq.query(`SELECT count(*) AS n FROM ${baseTable}`))[0][0].n);
    const repeats = async () => (await bq.query(repeatedFactsSql(requestEvents, baseTable)))[0];
    try {
      const consumer = await fx.consume('request-events', { maxAgeMs: 300 }, (table) =>
        bigQuerySink({ bq, writeClient, dataset, table }),
      );
      const committed = async () =>
        (await admin.fetchOffsets({ groupId: consumer.groupId, topics: [fx.eventsTopic] }))[0]!.partitions.reduce(
          (n, p) => n + Math.max(0, Number(p.offset)),
          0,
        );

      await fx.publish(events(0, 30));
      await waitFor('the first 30 events in BigQuery', async () => (await historyCount()).n === 30, 60_000, 500);
      await waitFor('their offsets committed', async () => (await committed()) === 30, 30_000, 200);

      await emulator.stop();
      await fx.publish(events(30, 30));
      // While BigQuery is away the consumer retries with its partitions paused; nothing is committed.
      await new Promise((r) => setTimeout(r, 4000));
      expect(await committed()).toBe(30);

      emulator = await startEmulator(options);
      await waitFor(
        'all 60 events in BigQuery',
        async () => (await historyCount().catch(() => ({ n: 0 }))).n === 60,
        120_000,
        1000,
      );
      await waitFor('all offsets committed', async () => (await committed()) === 60, 60_000, 500);
      expect(await historyCount()).toMatchObject({ n: 60, d: 60 });
      // Written once: each event is in the base table once, retries and all.
      expect(await baseCount()).toBe(60);
      expect(await repeats()).toEqual([]);

      // And the check can fail: a repeat planted under another insertId is reported.
      const [planted] = flattened(requestEvents.consumer.flatten(envelopeMessage(events(0, 1)[0]))).rows;
      await bq
        .dataset(dataset)
        .table('request_events')
        .insert([{ insertId: 'planted-repeat', json: toBigQueryRow(requestEvents, planted!) }], { raw: true });
      expect(await repeats()).toEqual([{ workspace: 'default', event_id: planted!.event_id, copies: 2 }]);
    } finally {
      await admin.disconnect();
      await fx.close();
      await emulator.stop();
    }
  });
});
