// A sixth table, declared in this file and nowhere else, runs through the real runtime into both
// sinks and its view in both engines: a table is its declaration, its flattener and its views.
import { describe, expect, inject, it } from 'vitest';
import { rows } from '../../schemas/flattener.js';
import { column, type TableDefinition } from '../../schemas/table.js';
import { topics } from '../../schemas/topics.js';
import { bigQuerySink, migrate } from '../../services/bigquery/index.js';
import { openLake } from '../../services/lake/duckdb.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { catalogue } from '../../tables/catalogue.js';
import { stringList } from '../../tables/thena/convert.js';
import { eventColumns, eventKey, fromEvents } from '../../tables/thena/request-event.js';
import { webhook } from '../fixtures/webhooks.js';
import { lakeFixture } from '../support/lake.js';
import { waitFor } from '../support/wait.js';
import { testWriteClient } from '../support/bigquery.js';
import { testDataset } from '../support/drop-datasets.js';

const requestTags: TableDefinition = {
  name: 'request_tags',
  description: 'One row per AI tag of a request, as first seen (test only).',
  version: 1,
  factKey: ['request_id', 'tag'],
  partitionColumn: 'event_time',
  clustering: ['request_id'],
  columns: [...eventColumns, column('tag', 'STRING', 'REQUIRED', 'request.AI_generatedTags[]')],
  consumer: {
    service: 'request-tags',
    topic: topics.requestEvents.name,
    flatten: fromEvents((e) =>
      rows((stringList(e.request.AI_generatedTags) ?? []).map((tag) => ({ ...eventKey(e), tag }))),
    ),
    metricsPort: 0,
  },
  views: [
    {
      name: 'tags',
      sql: 'SELECT * FROM {{request_tags}} WHERE TRUE QUALIFY ROW_NUMBER() OVER (PARTITION BY {{fact_key}} ORDER BY event_time, event_id) = 1',
    },
  ],
  factView: 'tags',
};

describe('a table declared only in a test', () => {
  it('is filled by the runtime in the lake and BigQuery, and served by its view in both engines', async () => {
    const project = inject('bigqueryProject');
    const bq = createBigQuery({ BIGQUERY_PROJECT: project, BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint') })!;
    const dataset = testDataset('sixth');
    const tables = [...catalogue, requestTags];
    const report = await migrate(bq, { dataset, location: 'US', tables });
    expect(report.created).toEqual(expect.arrayContaining(['table request_tags', 'view tags']));

    const fx = await lakeFixture(inject('kafkaBrokers'));
    try {
      await fx.consume(requestTags);
      await fx.consume(requestTags, { maxAgeMs: 300 }, (table) =>
        bigQuerySink({ bq, writeClient: testWriteClient(), dataset, table }),
      );
      // Tags accumulate over a request's updates, so later events repeat earlier tags.
      const bodies = ['8801', '8802', '8803'].flatMap((requestId) => [
        webhook({ requestId, status: 'NEW', AI_generatedTags: ['billing'] }),
        webhook({ requestId, status: 'OPEN', AI_generatedTags: ['billing', `team-${requestId}`] }),
        webhook({ requestId, status: 'CLOSED', AI_generatedTags: ['billing', `team-${requestId}`, 'resolved'] }),
      ]);
      await fx.publish(bodies);
      const expected = 3 * 3;

      const lakeCount = await waitFor(
        'the tags in the lake',
        async () => {
          const lake = await openLake(fx.lakeDir, tables);
          const n = Number((await lake.runAndReadAll('SELECT count(*) FROM tags')).getRowsJS()[0]![0]);
          lake.closeSync();
          return n === expected ? n : undefined;
        },
        60_000,
        500,
      );
      expect(lakeCount).toBe(expected);

      const bigQueryTags = async () =>
        (await bq.query(`SELECT request_id, tag FROM \`${project}.${dataset}.tags\` ORDER BY 1, 2`))[0] as {
          request_id: string;
          tag: string;
        }[];
      const tags = await waitFor(
        'the tags in BigQuery',
        async () => {
          const found = await bigQueryTags();
          return found.length === expected ? found : undefined;
        },
        60_000,
        500,
      );
      expect(tags.filter((t) => t.request_id === '8801').map((t) => t.tag)).toEqual([
        'billing',
        'resolved',
        'team-8801',
      ]);
    } finally {
      await fx.close();
    }
  });
});
