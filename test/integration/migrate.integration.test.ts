// The BigQuery migration against the emulator through the official client: what it creates,
// changes and refuses, the partition expiration, and what a service's start does.
import type { BigQuery } from '@google-cloud/bigquery';
import { describe, expect, inject, it } from 'vitest';
import { migrate, migrateOnStart } from '../../services/bigquery/migrate.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { requestEvents, catalogue as tables, viewsOf } from '../../tables/catalogue.js';
import { testDataset } from '../support/drop-datasets.js';

function client(): BigQuery {
  return createBigQuery({
    BIGQUERY_PROJECT: inject('bigqueryProject'),
    BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint'),
  })!;
}

/** request_events with one column more, as a new release would declare it. */
const withColumn = {
  ...requestEvents,
  columns: [
    ...requestEvents.columns,
    { name: 'sla_breached', type: 'BOOL' as const, mode: 'NULLABLE' as const, description: 'new' },
  ],
};

describe('migrate (emulator)', () => {
  it('creates everything once, changes nothing the second time, adds a declared column, refuses a type change', async () => {
    const bq = client();
    const dataset = testDataset('migrate');
    const first = await migrate(bq, { dataset, location: 'US' });
    expect(first.created).toEqual([
      `dataset ${dataset}`,
      ...tables.map((t) => `table ${t.name}`),
      ...viewsOf().map((v) => `view ${v.name}`),
    ]);
    const second = await migrate(bq, { dataset, location: 'US' });
    expect(second).toMatchObject({ created: [], altered: [] });

    const [metadata] = await bq.dataset(dataset).table('request_events').getMetadata();
    expect(metadata.timePartitioning).toMatchObject({ type: 'DAY', field: 'event_time' });
    expect(metadata.clustering).toEqual({ fields: ['request_id', 'team_id'] });
    expect(metadata.schema.fields.find((f: { name: string }) => f.name === 'reply_count').description).toMatch(
      /replyCount/,
    );

    const third = await migrate(bq, { dataset, location: 'US', tables: [withColumn] });
    expect(third.altered).toEqual(['table request_events: added sla_breached']);
    const changed = {
      ...requestEvents,
      columns: requestEvents.columns.map((c) => (c.name === 'status' ? { ...c, type: 'INT64' as const } : c)),
    };
    await expect(migrate(bq, { dataset, location: 'US', tables: [changed] })).rejects.toThrow(
      /request_events.status is NULLABLE STRING in BigQuery but declared NULLABLE INT64/,
    );
  });

  it('sets the partition expiration BIGQUERY_PARTITION_EXPIRATION_DAYS names, on new and existing tables', async () => {
    const bq = client();
    const dataset = testDataset('expiry');
    await migrate(bq, { dataset, location: 'US', tables: [requestEvents], partitionExpirationDays: 400 });
    const expiration = async () =>
      (await bq.dataset(dataset).table('request_events').getMetadata())[0].timePartitioning?.expirationMs;
    expect(await expiration()).toBe(String(400 * 86_400_000));
    const changed = await migrate(bq, {
      dataset,
      location: 'US',
      tables: [requestEvents],
      partitionExpirationDays: 30,
    });
    expect(changed.altered).toEqual(['table request_events: partitions expire after 30 days']);
    expect(await expiration()).toBe(String(30 * 86_400_000));
    const again = await migrate(bq, { dataset, location: 'US', tables: [requestEvents], partitionExpirationDays: 30 });
    expect(again.altered).toEqual([]);
  });

  it('at a service’s start: migrates a dataset not yet at the declaration, then finds it current', async () => {
    const bq = client();
    const dataset = testDataset('onstart');
    const first = await migrateOnStart(bq, { dataset, location: 'US', tables: [requestEvents] });
    expect(first).toMatchObject({
      created: [`dataset ${dataset}`, 'table request_events', 'view request_history', 'view request_latest'],
    });
    expect(await migrateOnStart(bq, { dataset, location: 'US', tables: [requestEvents] })).toBe('current');
    // A declaration that changed (a column here) is migrated at the next start, then current again.
    const changed = await migrateOnStart(bq, { dataset, location: 'US', tables: [withColumn] });
    expect(changed).toMatchObject({ altered: ['table request_events: added sla_breached'] });
    expect(await migrateOnStart(bq, { dataset, location: 'US', tables: [withColumn] })).toBe('current');
    // npm run migrate walks everything whatever the label says: a table dropped by hand comes back.
    await bq.dataset(dataset).table('request_events').delete();
    expect((await migrate(bq, { dataset, location: 'US', tables: [withColumn] })).created).toEqual([
      'table request_events',
    ]);
  });
});
