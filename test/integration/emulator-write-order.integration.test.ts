// The order the BigQuery sink's fencing relies on, held by the emulator the tests use: once
// FinalizeWriteStream has answered, its row count is final and no append lands after it. BigQuery
// behaves so; local-bigquery alone does not (an append under way when the finalize comes is
// counted, and lands, afterwards), which infra/bigquery-emulator/serve.py mends. Finalizes are
// sent at a sweep of moments during a large append, so some of them meet it while it is inserting.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { BigQuery } from '@google-cloud/bigquery';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { CommittedStream, finalizeStream } from '../../services/bigquery/write-api.js';
import { testWriteClient } from '../support/bigquery.js';
import { testDataset } from '../support/drop-datasets.js';

const rows = Array.from({ length: 15_000 }, (_, i) => ({ id: `row-${i}`, body: 'x'.repeat(150) }));

describe('the emulator takes a write stream’s calls in turn', () => {
  let bq: BigQuery;
  let table: string;
  let ref: string;

  beforeAll(async () => {
    bq = createBigQuery({
      BIGQUERY_PROJECT: inject('bigqueryProject'),
      BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint'),
    })!;
    const dataset = testDataset('write_order');
    await bq.createDataset(dataset);
    const schema = [
      { name: 'id', type: 'STRING' },
      { name: 'body', type: 'STRING' },
    ];
    await bq.dataset(dataset).createTable('t', { schema });
    table = `projects/${bq.projectId}/datasets/${dataset}/tables/t`;
    ref = `\`${bq.projectId}.${dataset}.t\``;
  });

  it('answers a finalize with the count that stays, whenever it comes during an append', async () => {
    const client = testWriteClient();
    const seen: { delayMs: number; fenced: number | 'gone'; appended: string; after: number | 'gone' }[] = [];
    for (let delayMs = 0; delayMs <= 600; delayMs += 50) {
      const stream = await CommittedStream.create(client, table);
      const append = stream.append(rows, 0).then(
        (o) => o.kind,
        (err: Error) => `no answer: ${err.message}`,
      );
      await new Promise((r) => setTimeout(r, delayMs));
      const fenced = await finalizeStream(client, stream.name);
      const appended = await append;
      const after = await finalizeStream(client, stream.name);
      seen.push({ delayMs, fenced, appended, after });
    }
    // The count a finalize gave never grows afterwards, and it holds the append exactly when the
    // append was answered as written.
    expect(seen.filter((s) => s.after !== s.fenced)).toEqual([]);
    for (const s of seen) expect(s.fenced, JSON.stringify(s)).toBe(s.appended === 'appended' ? rows.length : 0);
    // The sweep met the append on both sides of its finalize: some were refused, some written.
    expect(seen.some((s) => s.appended === 'gone')).toBe(true);
    expect(seen.some((s) => s.appended === 'appended')).toBe(true);
    const [[{ n }]] = await bq.query(`SELECT COUNT(*) AS n FROM ${ref}`);
    expect(Number(n)).toBe(rows.length * seen.filter((s) => s.appended === 'appended').length);
  });
});
