// A changed flattener ships under steady traffic: request_assignments gains a derived column and
// its version goes to 2. The table's service (run in-process, with the real runtime and followers)
// writes the new rows; a rebuild then writes generation 2 from the whole history in both sinks and
// switches the views. A poller reading the views every 200 ms in both engines never sees a fact
// twice, a count that goes down, or the old generation after the new one; afterwards every fact is
// there once and the new column is filled for the whole history.
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { BigQuery } from '@google-cloud/bigquery';
import { rows } from '../../schemas/flattener.js';
import { column, type TableDefinition } from '../../schemas/table.js';
import { topics } from '../../schemas/topics.js';
import { bigQueryGenerations, migrate } from '../../services/bigquery/index.js';
import { followTable } from '../../services/consumers/follow-table.js';
import { rebuild } from '../../services/consumers/rebuild.js';
import { consumerMetrics } from '../../services/consumers/runtime/metrics.js';
import { lakeGenerations, openLake } from '../../services/lake/index.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { controlWriter, readControl } from '../../services/shared/control.js';
import { ensureTopics } from '../../services/shared/kafka.js';
import { createRegistry } from '../../services/shared/metrics.js';
import { progress } from '../../services/shared/progress.js';
import { flattenAssignment } from '../../tables/request-assignments/flatten.js';
import { requestAssignments } from '../../tables/catalogue.js';
import { fromEvents } from '../../tables/thena/request-event.js';
import { lifecycle } from '../fixtures/lifecycle.js';
import { lakeFixture, quietLogger, type LakeFixture } from '../support/lake.js';
import { uniqueName, waitFor } from '../support/wait.js';
import { testWriteClient } from '../support/bigquery.js';
import { testDataset } from '../support/drop-datasets.js';

/** The test's table: request_assignments on the fixture's topic, under a service name of its own. */
function assignments(fx: LakeFixture, version: 1 | 2, service: string): TableDefinition {
  const consumer = { ...requestAssignments.consumer, service, topic: fx.eventsTopic };
  if (version === 1) return { ...requestAssignments, consumer };
  return {
    ...requestAssignments,
    version: 2,
    columns: [...requestAssignments.columns, column('assignee_key', 'STRING', 'NULLABLE', 'lower(assigned_to_id)')],
    consumer: {
      ...consumer,
      flatten: fromEvents((e) => {
        const out = flattenAssignment(e);
        if (out.kind !== 'rows') return out;
        return rows(out.rows.map((r) => ({ ...r, assignee_key: String(r.assigned_to_id ?? '').toLowerCase() })));
      }),
    },
  };
}

interface Snapshot {
  count: number;
  repeated: number;
  /** Rows without the new column: the old generation's rows from before the change. */
  unfilled: number;
  /** Facts the table (not the view) holds more than once; the lake's only, to explain a failure. */
  twice?: number;
}

/**
 * Reads the view every 200 ms and records what no snapshot may show, and whether it saw the old
 * generation (rows without the new column) and the new one (every row with it).
 */
function poll(what: string, read: () => Promise<Snapshot>) {
  const violations: string[] = [];
  let last: Snapshot | undefined;
  let seenOld = false;
  let seenNew = false;
  let running = true;
  const done = (async () => {
    while (running) {
      const s = await read().catch(() => undefined);
      if (s) {
        if (s.unfilled > 0) seenOld = true;
        if (s.repeated > 0) violations.push(`${what}: ${s.repeated} facts twice`);
        if (last && s.count < last.count) violations.push(`${what}: count went down ${last.count} -> ${s.count}`);
        if (last && s.unfilled > last.unfilled)
          violations.push(
            `${what}: unfilled rows rose ${last.unfilled} -> ${s.unfilled} of ${last.count} -> ${s.count}` +
              (s.twice === undefined ? '' : ` (facts the table holds twice: ${last.twice} -> ${s.twice})`),
          );
        if (seenNew && s.unfilled > 0) violations.push(`${what}: old rows again after the new generation`);
        if (s.count > 0 && s.unfilled === 0) seenNew = true;
        last = s;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    violations,
    seenOld: () => seenOld,
    /** Stops polling; whether the views were watched across the switch: old generation, then new. */
    stop: async () => {
      running = false;
      await done;
      return { seenOld, seenNew };
    },
  };
}

const snapshotSql = (from: string) =>
  `SELECT count(*) AS count, count(*) - count(DISTINCT event_id) AS repeated, ` +
  `countif(assignee_key IS NULL) AS unfilled FROM ${from}`;

describe('rebuild under traffic', () => {
  let fx: LakeFixture | undefined;
  afterAll(async () => {
    await fx?.close();
  });

  it('fills a new column for the whole history, the views never wrong meanwhile', async () => {
    const kafka = (fx = await lakeFixture(inject('kafkaBrokers'))).kafka;
    await ensureTopics(kafka, [topics.control, topics.deadLetter]);
    const project = inject('bigqueryProject');
    const bq: BigQuery = createBigQuery({
      BIGQUERY_PROJECT: project,
      BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint'),
    })!;
    const dataset = testDataset('rebuild');
    const service = uniqueName('rebuild-assignments');
    const v1 = assignments(fx, 1, service);
    const v2 = assignments(fx, 2, service);
    await migrate(bq, { dataset, location: 'US', tables: [v1] });
    const stores = [lakeGenerations(fx.lakeDir), bigQueryGenerations(bq, dataset, { client: testWriteClient() })];
    const live = (table: TableDefinition) =>
      followTable({
        table,
        stores,
        kafka,
        publish: async () => undefined,
        limits: { maxRows: 10_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: 500 },
        registry: createRegistry(service),
        logger: quietLogger,
        onFatal: (err) => {
          throw err;
        },
      });

    // Steady traffic: a six-event lifecycle every 300 ms.
    const sent: unknown[] = [];
    let n = 0;
    let sending = true;
    const traffic = (async () => {
      while (sending) {
        const l = lifecycle(String(610_000 + n++));
        sent.push(...l.bodies);
        await fx!.publish(l.bodies);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();

    let service1 = await live(v1);
    await waitFor('the first generation in the lake', async () => (await lakeCount(fx!, v1)) > 50, 60_000, 250);
    // The new code ships: the dataset gains the column, and the service runs version 2 from here on.
    await service1.stop();
    await migrate(bq, { dataset, location: 'US', tables: [v2] });
    service1 = await live(v2);

    const pollers = [
      poll('DuckDB', () => lakeSnapshot(fx!, v2)),
      poll('BigQuery', () => bigQuerySnapshot(bq, project, dataset)),
    ];

    // The rebuild starts once both engines' views have been read serving the old generation, so that
    // the pollers watch the whole switch (a wait on that, not on a count of reads, which depends on
    // how fast the emulator answers).
    await waitFor('both pollers to read the old generation', () => pollers.every((p) => p.seenOld()), 60_000, 100);
    const control = await controlWriter(kafka);
    for (const store of stores) {
      const report = await rebuild({
        table: v2,
        store,
        kafka,
        control,
        controlState: await readControl(kafka),
        publish: async () => undefined,
        deadLetterTopic: topics.deadLetter.name,
        logger: quietLogger,
        metrics: consumerMetrics(createRegistry(`rebuild-${store.sink}`)),
        keepOldMs: 1_000,
        progress: progress(`rebuild ${store.sink}`, { write: () => undefined }),
      });
      expect(report).toMatchObject({ outcome: 'rebuilt', from: 1, to: 2 });
    }
    await control.close();

    sending = false;
    await traffic;
    const expected = sent.filter((b) => (b as { request: { assignedTo: unknown } }).request.assignedTo).length;
    // Every event with an assignee, once, with the new column, in both engines.
    await waitFor(
      'every fact in both sinks',
      async () =>
        (await lakeSnapshot(fx!, v2)).count === expected &&
        (await bigQuerySnapshot(bq, project, dataset)).count === expected,
      90_000,
      1000,
    );
    const watched = await Promise.all(pollers.map((p) => p.stop()));
    await service1.stop();

    expect(pollers.flatMap((p) => p.violations)).toEqual([]);
    expect(watched).toEqual([
      { seenOld: true, seenNew: true },
      { seenOld: true, seenNew: true },
    ]);
    for (const store of stores) expect(await store.current(v2)).toEqual({ generation: 2, version: 2 });
    const final = { count: expected, repeated: 0, unfilled: 0 };
    expect(await lakeSnapshot(fx, v2)).toMatchObject(final);
    expect(await bigQuerySnapshot(bq, project, dataset)).toEqual(final);
  }, 600_000);
});

async function lakeCount(fx: LakeFixture, table: TableDefinition): Promise<number> {
  const lake = await openLake(fx.lakeDir, [table]);
  try {
    return Number((await lake.runAndReadAll('SELECT count(*) FROM assignments')).getRowsJS()[0]![0]);
  } finally {
    lake.closeSync();
  }
}

const numbers = (row: Record<string, unknown>): Snapshot => ({
  count: Number(row.count),
  repeated: Number(row.repeated),
  unfilled: Number(row.unfilled),
});

async function lakeSnapshot(fx: LakeFixture, table: TableDefinition): Promise<Snapshot> {
  const lake = await openLake(fx.lakeDir, [table]);
  try {
    const sql = snapshotSql('assignments').replace('countif(', 'count_if(');
    const twice = `SELECT count(*) AS n FROM (SELECT 1 FROM ${table.name} GROUP BY workspace, event_id HAVING count(*) > 1)`;
    const snapshot = numbers((await lake.runAndReadAll(sql)).getRowObjectsJS()[0]!);
    return { ...snapshot, twice: Number((await lake.runAndReadAll(twice)).getRowObjectsJS()[0]!.n) };
  } finally {
    lake.closeSync();
  }
}

async function bigQuerySnapshot(bq: BigQuery, project: string, dataset: string): Promise<Snapshot> {
  const [rows] = await bq.query(snapshotSql(`\`${project}.${dataset}.assignments\``));
  return numbers(rows[0] as Record<string, unknown>);
}
