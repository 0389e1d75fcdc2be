// The emulator reads a table's columns once per AppendRows call (infra/bigquery-emulator/serve.py):
// a column added between two calls is known to the very next one, as a migration that adds a
// declared column and the consumers' next write need.
import { describe, expect, inject, it } from 'vitest';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { CommittedStream } from '../../services/bigquery/write-api.js';
import { testWriteClient } from '../support/bigquery.js';
import { testDataset } from '../support/drop-datasets.js';

describe('the emulator after a column is added', () => {
  it('writes the new column in the next append call', async () => {
    const bq = createBigQuery({
      BIGQUERY_PROJECT: inject('bigqueryProject'),
      BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint'),
    })!;
    const dataset = testDataset('new_column');
    await bq.createDataset(dataset);
    const [t] = await bq.dataset(dataset).createTable('t', { schema: [{ name: 'id', type: 'STRING' }] });
    const table = `projects/${bq.projectId}/datasets/${dataset}/tables/t`;
    const client = testWriteClient();

    const first = await CommittedStream.create(client, table);
    expect((await first.append([{ id: 'a' }], 0)).kind).toBe('appended');

    const [metadata] = await t.getMetadata();
    await t.setMetadata({ schema: { fields: [...metadata.schema.fields, { name: 'extra', type: 'STRING' }] } });

    const second = await CommittedStream.create(client, table);
    expect((await second.append([{ id: 'b', extra: 'added' }], 0)).kind).toBe('appended');

    const [rows] = await bq.query(`SELECT id, extra FROM \`${bq.projectId}.${dataset}.t\` ORDER BY id`);
    expect(rows).toEqual([
      { id: 'a', extra: null },
      { id: 'b', extra: 'added' },
    ]);
  });
});
