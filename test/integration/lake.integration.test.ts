// Events on the real broker -> the five consumer services (real runtime, Parquet sink) -> files
// DuckDB reads with the contract's columns and types, and views that give each fact once; with
// the lake in a local folder and in a bucket (fake-gcs-server, read through DuckDB's httpfs).
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openLake } from '../../services/lake/duckdb.js';
import { currentFolder, type LakeStore } from '../../services/lake/index.js';
import { gcsBucket } from '../../services/lake/stores/gcs.js';
import type { TableDefinition } from '../../schemas/table.js';
import {
  requestActivity,
  requestAssignments,
  requestCsat,
  requestEvents,
  catalogue as tables,
} from '../../tables/catalogue.js';
import { repeatedFactsSql } from '../support/repeats.js';
import { lakeFixture, type LakeFixture } from '../support/lake.js';
import { waitFor } from '../support/wait.js';
import { lifecycle } from '../fixtures/lifecycle.js';
import { seed } from '../fixtures/webhooks.js';

const duckType = { STRING: 'VARCHAR', INT64: 'BIGINT', TIMESTAMP: 'TIMESTAMP', BOOL: 'BOOLEAN' } as const;

async function scalar(lake: DuckDBConnection, sql: string): Promise<unknown> {
  return (await lake.runAndReadAll(sql)).getRowsJS()[0]?.[0];
}
const rows = async (lake: DuckDBConnection, sql: string) => (await lake.runAndReadAll(sql)).getRowObjectsJS();

const viewsOfFacts = [
  ['request_history', requestEvents],
  ['activity', requestActivity],
  ['assignments', requestAssignments],
  ['csat', requestCsat],
] as const;

/** A second copy of one file of the table, as a crash between a write and its commit would leave. */
async function plantCopy(lake: string | LakeStore, table: TableDefinition): Promise<void> {
  if (typeof lake === 'string') {
    const tableDir = join(lake, table.name);
    const file = readdirSync(tableDir, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('.parquet'));
    copyFileSync(join(tableDir, file!), join(tableDir, file!.replace(/\.parquet$/, '-planted.parquet')));
    return;
  }
  if (lake.location.kind !== 'gcs') throw new Error('a bucket store expected');
  const key = (await lake.list((await currentFolder(lake, table))!)).find((f) => f.key.endsWith('.parquet'))!.key;
  const name = `${lake.location.prefix}/${key}`;
  await (await gcsBucket(lake.location)).file(name).copy(name.replace(/\.parquet$/, '-planted.parquet'));
}

describe.each([
  ['a local folder', false],
  ['a bucket on fake-gcs-server', true],
])('consumer services into the Parquet lake in %s (real broker, DuckDB)', (_, inBucket) => {
  let fx: LakeFixture;
  const lifecycles = Array.from({ length: 20 }, (_, i) => lifecycle(String(5000 + i)));
  const eventIds = new Set<string>();

  beforeAll(async () => {
    fx = await lakeFixture(
      inject('kafkaBrokers'),
      inBucket ? { endpoint: inject('gcsEndpoint'), name: inject('gcsBucket') } : undefined,
    );
    for (const name of [
      'request-events',
      'request-activity',
      'request-assignments',
      'request-csat',
      'rejected-events',
    ] as const) {
      await fx.consume(name);
    }
    // The seed twice (a repeated delivery), 20 cumulative lifecycles, then each lifecycle's
    // first event replayed late, and one message no flattener can read.
    for (const id of await fx.publish([seed, seed])) eventIds.add(id);
    for (const l of lifecycles) for (const id of await fx.publish(l.bodies)) eventIds.add(id);
    await fx.publish(lifecycles.map((l) => l.bodies[0]));
    await fx.publishRaw([{ key: '1', value: 'this is not an envelope' }]);
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('writes every accepted event and each fact once through the views', async () => {
    const expectedActivity = 1 + lifecycles.reduce((n, l) => n + l.activityItems, 0);
    const lake = await waitFor(
      'all facts in the lake',
      async () => {
        const lake = await openLake(fx.lake);
        const [history, activity, csat, rejected] = await Promise.all(
          ['request_history', 'activity', 'csat', 'rejected_events'].map((v) =>
            scalar(lake, `SELECT count(*) FROM ${v}`),
          ),
        );
        return history === BigInt(eventIds.size) &&
          activity === BigInt(expectedActivity) &&
          csat === 41n &&
          rejected === 4n
          ? lake
          : undefined;
      },
      90_000,
      1000,
    );

    // Each fact once, however often the base holds it. The consumers already skip repeats they
    // remember, so plant some: a second copy of one file of each table, as a crash between a
    // write and its commit would leave. Each view still has one row per fact key.
    const before = new Map<string, unknown>();
    for (const [view, table] of viewsOfFacts) {
      before.set(view, await scalar(lake, `SELECT count(*) FROM ${view}`));
      await plantCopy(fx.lake, table);
    }
    const planted = await openLake(fx.lake);
    for (const [view, table] of viewsOfFacts) {
      expect((await rows(planted, repeatedFactsSql(table, table.name))).length, table.name).toBeGreaterThan(0);
      expect(await rows(planted, repeatedFactsSql(table, view)), view).toEqual([]);
      expect(await scalar(planted, `SELECT count(*) FROM ${view}`), view).toBe(before.get(view));
    }
    expect(await scalar(lake, 'SELECT count(DISTINCT event_id) FROM request_history')).toBe(BigInt(eventIds.size));
    // Assignments: events 2..6 of each lifecycle, and the seed.
    expect(await scalar(lake, 'SELECT count(*) FROM assignments')).toBe(BigInt(1 + 20 * 5));
    // The late replay of each CREATE does not flip the status back.
    expect(
      await scalar(lake, "SELECT count(*) FROM request_latest WHERE request_id LIKE '50%' AND status = 'CLOSED'"),
    ).toBe(20n);
    expect(await scalar(lake, "SELECT status FROM request_latest WHERE request_id = '42'")).toBe('ASSIGNED');
    // The unreadable message reached rejected_events once per service that read it, with its origin.
    const rejected = (
      await lake.runAndReadAll('SELECT reason, origin_topic, raw_body FROM rejected_events')
    ).getRowObjectsJS();
    expect(rejected).toEqual(
      Array(4).fill({ reason: 'invalid_envelope', origin_topic: fx.eventsTopic, raw_body: 'this is not an envelope' }),
    );
    expect(await scalar(lake, 'SELECT count(DISTINCT source) FROM rejected_events')).toBe(4n);
  });

  it('stores the contract’s columns with their types, in files DuckDB reads', async () => {
    const lake = await openLake(fx.lake);
    for (const table of tables) {
      const described = (await lake.runAndReadAll(`DESCRIBE ${table.name}`)).getRowObjectsJS();
      expect(described.map((d) => [d.column_name, d.column_type])).toEqual(
        table.columns.map((c) => [c.name, c.mode === 'REPEATED' ? `${duckType[c.type]}[]` : duckType[c.type]]),
      );
    }
    const seedRow = (
      await lake.runAndReadAll(
        "SELECT reply_count, ai_tags, event_time::VARCHAR AS t, is_private_channel FROM request_history WHERE request_id = '42'",
      )
    ).getRowObjectsJS();
    expect(seedRow).toEqual([
      { reply_count: 8n, ai_tags: ['Lorem', 'Ipsum'], t: '2023-08-23 22:51:21.912', is_private_channel: false },
    ]);
    const ts = await scalar(lake, "SELECT activity_ts::VARCHAR FROM activity WHERE request_id = '42'");
    expect(ts).toBe('2023-08-23 21:33:29.902529');
  });

  it('lays files out as <table>/dt=YYYY-MM-DD/<file>.parquet by the UTC day of event_time', async () => {
    const lake = await openLake(fx.lake);
    const files =
      typeof fx.lake === 'string'
        ? `${fx.lakeDir}/request_events/dt=*/*.parquet`
        : `${fx.lake.url((await currentFolder(fx.lake, requestEvents))!)}/dt=*/*.parquet`;
    expect(await scalar(lake, `SELECT count(*) FROM glob('${files}')`)).toBeGreaterThan(0n);
    const mismatched = await scalar(
      lake,
      `SELECT count(*) FROM read_parquet('${files}', hive_partitioning = true, filename = true)
       WHERE strftime(event_time, '%Y-%m-%d') <> CAST(dt AS VARCHAR)`,
    );
    expect(mismatched).toBe(0n);
  });
});
