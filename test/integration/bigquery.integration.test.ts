// The BigQuery emulator through the official client, as the sink will use it: a partitioned,
// clustered table is created, rows are streamed with insertAll and read back with a query.
import { describe, expect, inject, it } from 'vitest';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { testDataset } from '../support/drop-datasets.js';

function client() {
  const bq = createBigQuery({
    BIGQUERY_PROJECT: inject('bigqueryProject'),
    BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint'),
  });
  if (!bq) throw new Error('createBigQuery returned no client although a project was given');
  return bq;
}

describe('bigquery (emulator, official client)', () => {
  it('creates a partitioned, clustered table, streams rows into it and reads them back', async () => {
    const bq = client();
    const datasetId = testDataset('foundation');
    const [dataset] = await bq.createDataset(datasetId);
    const [table] = await dataset.createTable('request_events', {
      schema: {
        fields: [
          { name: 'event_id', type: 'STRING', mode: 'REQUIRED', description: 'SHA-256 of the canonical body' },
          { name: 'request_id', type: 'STRING', mode: 'REQUIRED' },
          { name: 'event_time', type: 'TIMESTAMP', mode: 'REQUIRED' },
          { name: 'reply_count', type: 'INT64' },
          { name: 'ai_tags', type: 'STRING', mode: 'REPEATED' },
        ],
      },
      timePartitioning: { type: 'DAY', field: 'event_time' },
      clustering: { fields: ['request_id'] },
    });

    const [metadata] = await table.getMetadata();
    expect(metadata.timePartitioning).toMatchObject({ type: 'DAY', field: 'event_time' });
    expect(metadata.clustering).toEqual({ fields: ['request_id'] });
    expect(metadata.schema.fields[0].description).toBe('SHA-256 of the canonical body');

    await table.insert(
      [
        {
          insertId: 'e1',
          json: {
            event_id: 'e1',
            request_id: '42',
            event_time: '2023-08-23T22:51:21.912Z',
            reply_count: 8,
            ai_tags: ['Lorem', 'Ipsum'],
          },
        },
        {
          insertId: 'e2',
          json: {
            event_id: 'e2',
            request_id: '43',
            event_time: '2023-08-24T09:00:00.000Z',
            reply_count: null,
            ai_tags: [],
          },
        },
      ],
      { raw: true },
    );

    const [rows] = await bq.query({
      query: `SELECT event_id, request_id, event_time, reply_count, ai_tags
              FROM \`${datasetId}.request_events\` WHERE event_time >= @since ORDER BY event_id`,
      params: { since: bq.timestamp('2023-08-01T00:00:00Z') },
    });
    expect(rows.map((r: { event_time: { value: string } }) => ({ ...r, event_time: r.event_time.value }))).toEqual([
      {
        event_id: 'e1',
        request_id: '42',
        event_time: '2023-08-23T22:51:21.912Z',
        reply_count: 8,
        ai_tags: ['Lorem', 'Ipsum'],
      },
      { event_id: 'e2', request_id: '43', event_time: '2023-08-24T09:00:00.000Z', reply_count: null, ai_tags: [] },
    ]);
  });
});
