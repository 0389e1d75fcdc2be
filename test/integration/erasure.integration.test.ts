// `npm run erase -- --request <id>`: one request's rows leave every table of the lake (in a
// bucket on fake-gcs-server) and of BigQuery (the emulator); every other row stays. A dry run
// counts the rows and changes nothing. The erasure is recorded on the control topic.
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { BigQuery } from '@google-cloud/bigquery';
import { startProcess } from '../../infra/local/process.js';
import { bigQuerySink, migrate } from '../../services/bigquery/index.js';
import { openLake, openStore, type LakeStore } from '../../services/lake/index.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { requestTables, writeSmallFiles } from '../support/small-files.js';
import { uniqueName } from '../support/wait.js';
import { quietLogger } from '../support/lake.js';
import { createKafka } from '../../services/shared/kafka.js';
import { readControl } from '../../services/shared/control.js';
import { testWriteClient } from '../support/bigquery.js';
import { serviceArgs } from '../support/build.js';
import { testDataset } from '../support/drop-datasets.js';

// The request of day 1, file 1, row 1 (test/support/small-files.ts numbers them).
const subject = '1000010001';

describe('erasing one request from both sinks', () => {
  let store: LakeStore;
  let bq: BigQuery;
  let env: Record<string, string>;
  const dataset = testDataset('erase');

  beforeAll(async () => {
    const prefix = uniqueName('erase');
    const scratch = mkdtempSync(join(tmpdir(), 'erase-'));
    store = openStore(
      { kind: 'gcs', bucket: inject('gcsBucket'), prefix, endpoint: inject('gcsEndpoint') },
      { scratchDir: scratch },
    );
    bq = createBigQuery({
      BIGQUERY_PROJECT: inject('bigqueryProject'),
      BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint'),
    })!;
    await migrate(bq, { dataset, location: 'US', tables: requestTables });
    const shape = { days: ['2026-10-01', '2026-10-02'], filesPerDay: 3, requestsPerFile: 2 };
    await writeSmallFiles(store, shape);
    await writeSmallFiles(store, {
      ...shape,
      sinkFor: (table) => bigQuerySink({ bq, writeClient: testWriteClient(), dataset, table }),
    });
    env = {
      LAKE_DIR: `gs://${inject('gcsBucket')}/${prefix}`,
      GCS_API_ENDPOINT: inject('gcsEndpoint'),
      LAKE_SCRATCH_DIR: scratch,
      LAKE_COMPACT_GRACE_SECONDS: '0',
      BIGQUERY_PROJECT: inject('bigqueryProject'),
      BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint'),
      BIGQUERY_DATASET: dataset,
      KAFKA_BROKERS: inject('kafkaBrokers').join(','),
    };
  });

  /** Rows of the subject and of everyone else, per table, in each sink. */
  async function counts(): Promise<Record<string, { subject: number; others: number }>> {
    const out: Record<string, { subject: number; others: number }> = {};
    const lake = await openLake(store, requestTables);
    for (const t of requestTables) {
      const sql = (from: string) =>
        `SELECT count(*) FILTER (WHERE request_id = '${subject}') AS s, count(*) FILTER (WHERE request_id <> '${subject}') AS o FROM ${from}`;
      const [l] = (await lake.runAndReadAll(sql(t.name))).getRowObjectsJS();
      out[`lake ${t.name}`] = { subject: Number(l!.s), others: Number(l!.o) };
      const [[b]] = await bq.query(sql(`\`${inject('bigqueryProject')}.${dataset}.${t.name}\``));
      out[`bigquery ${t.name}`] = { subject: Number(b.s), others: Number(b.o) };
    }
    lake.closeSync();
    return out;
  }

  async function erase(...args: string[]): Promise<string> {
    const proc = startProcess({
      name: 'erase',
      command: process.execPath,
      args: [...serviceArgs('admin/erase-cli.ts'), '--request', subject, ...args],
      env,
      logFile: join(tmpdir(), `${uniqueName('erase')}.log`),
    });
    const code = await proc.exited;
    const log = await readFile(proc.logFile, 'utf8');
    expect(code, log).toBe(0);
    return log;
  }

  it('counts on a dry run, then removes the request’s rows and nothing else', async () => {
    const before = await counts();
    for (const [where, c] of Object.entries(before)) {
      expect(c.subject, where).toBeGreaterThan(0);
      expect(c.others, where).toBeGreaterThan(0);
    }
    const dry = await erase('--dry-run');
    expect(dry).toMatch(/lake: \d+ rows found/);
    expect(await counts()).toEqual(before);

    const log = await erase();
    const erasedLake = Object.entries(before)
      .filter(([w]) => w.startsWith('lake'))
      .reduce((s, [, c]) => s + c.subject, 0);
    expect(log).toContain(`lake: ${erasedLake} rows erased`);
    const after = await counts();
    for (const [where, c] of Object.entries(before))
      expect(after[where], where).toEqual({ subject: 0, others: c.others });
    // Recorded on the control topic, for rebuilds to leave out (services/consumers/erasures.ts).
    const kafka = createKafka({ clientId: 'erase-test', brokers: inject('kafkaBrokers'), logger: quietLogger });
    expect((await readControl(kafka)).get(`erasure/default/request_id/${subject}`)).toMatchObject({
      kind: 'erasure',
      column: 'request_id',
      value: subject,
      workspace: 'default',
    });
  });
});
