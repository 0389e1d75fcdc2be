// Workspaces: the same request id sent from two workspaces (and from none) stays three requests in
// every view of both engines, rows written before the workspace column existed read `default`
// after the additive migration, and a token bound to one workspace cannot write into another.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { BigQuery } from '@google-cloud/bigquery';
import type { TableDefinition } from '../../schemas/table.js';
import { bigQuerySink, migrate, toBigQueryRow } from '../../services/bigquery/index.js';
import { openLake } from '../../services/lake/duckdb.js';
import { parquetSink } from '../../services/lake/sink.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { catalogue, requestEvents } from '../../tables/catalogue.js';
import { topics } from '../../schemas/topics.js';
import { envelopeMessage } from '../fixtures/envelopes.js';
import { platformBody, ticket } from '../fixtures/platform-events.js';
import { webhook } from '../fixtures/webhooks.js';
import { flattened } from '../support/flatten.js';
import { startIngress } from '../support/ingress.js';
import { lakeFixture } from '../support/lake.js';
import { uniqueName, waitFor } from '../support/wait.js';
import { testWriteClient } from '../support/bigquery.js';
import { TopicReader } from '../support/topic-reader.js';
import { testDataset } from '../support/drop-datasets.js';

const requestTables = catalogue.filter((t) => t.consumer.topic === requestEvents.consumer.topic);
/** Every view of the request tables, with the columns that name a request in it. */
const views = ['request_history', 'request_latest', 'activity', 'assignments', 'csat'];

// One request id, three workspaces, a different state in each; the same body in acme and globex.
const states = { default: 'NEW', acme: 'OPEN', globex: 'CLOSED' } as const;
const bodyIn = (status: string) =>
  webhook({
    requestId: '9901',
    status,
    updatedAt: '2026-11-20T10:00:00.000Z',
    assignedTo: { id: `U-${status}`, name: `agent ${status}` },
    feedbacks: `<p>rater.${status} gave 4 with additional feedback of ok</p>`,
  });
const shared = bodyIn('SHARED');

type Read = (sql: string) => Promise<Record<string, unknown>[]>;

/** Workspace → status per view, for request 9901, sorted. */
async function perWorkspace(read: Read, ref: (view: string) => string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const view of views) {
    const status = view === 'activity' || view === 'csat' ? 'rater' : 'status';
    const column = view === 'activity' ? 'activity_id' : status;
    const rows = await read(
      `SELECT workspace, ${column} AS v FROM ${ref(view)} WHERE request_id = '9901' ORDER BY workspace, v`,
    );
    out[view] = rows.map((r) => `${String(r.workspace)}:${String(r.v)}`);
  }
  return out;
}

const bigQueryRead =
  (bq: BigQuery): Read =>
  async (sql) =>
    (await bq.query(sql))[0] as Record<string, unknown>[];

describe('workspaces', () => {
  it('keep the same request id from two workspaces apart in every view of both engines', async () => {
    const project = inject('bigqueryProject');
    const bq = createBigQuery({ BIGQUERY_PROJECT: project, BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint') })!;
    const dataset = testDataset('workspaces');
    await migrate(bq, { dataset, location: 'US' });

    const fx = await lakeFixture(inject('kafkaBrokers'));
    try {
      for (const table of requestTables) {
        await fx.consume(table);
        await fx.consume(table, { maxAgeMs: 300 }, (t) =>
          bigQuerySink({ bq, writeClient: testWriteClient(), dataset, table: t }),
        );
      }
      await fx.publish([bodyIn(states.default)]);
      await fx.publish([bodyIn(states.acme), shared], 'acme');
      await fx.publish([bodyIn(states.globex), shared], 'globex');

      const lakeRead = async (sql: string) => {
        const lake = await openLake(fx.lakeDir);
        try {
          return (await lake.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
        } finally {
          lake.closeSync();
        }
      };
      const complete = (found: Record<string, string[]>) =>
        found.request_history!.length === 5 && found.csat!.length === 5 ? found : undefined;
      const lake = await waitFor(
        'every workspace in the lake',
        async () => complete(await perWorkspace(lakeRead, (v) => v)),
        60_000,
        500,
      );
      const inBigQuery = await waitFor(
        'every workspace in BigQuery',
        async () => complete(await perWorkspace(bigQueryRead(bq), (v) => `\`${project}.${dataset}.${v}\``)),
        60_000,
        500,
      );

      expect(lake.request_history).toEqual([
        'acme:OPEN',
        'acme:SHARED',
        'default:NEW',
        'globex:CLOSED',
        'globex:SHARED',
      ]);
      // The same body in two workspaces is two facts; the latest state of each is its own.
      expect(lake.request_latest).toHaveLength(3);
      expect(lake.request_latest!.map((s) => s.split(':')[0])).toEqual(['acme', 'default', 'globex']);
      expect(lake.assignments).toEqual(lake.request_history);
      expect(lake.csat).toEqual([
        'acme:rater.OPEN',
        'acme:rater.SHARED',
        'default:rater.NEW',
        'globex:rater.CLOSED',
        'globex:rater.SHARED',
      ]);
      // The seed's one activity item, once per workspace (the same item repeats within one).
      expect(lake.activity!.map((s) => s.split(':')[0])).toEqual(['acme', 'default', 'globex']);
      expect(inBigQuery).toEqual(lake);
    } finally {
      await fx.close();
    }
  });

  it("reads rows written before the workspace column as 'default' after the additive migration", async () => {
    const project = inject('bigqueryProject');
    const bq = createBigQuery({ BIGQUERY_PROJECT: project, BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint') })!;
    const dataset = testDataset('before_workspaces');
    const withoutWorkspace = (t: TableDefinition): TableDefinition => ({
      ...t,
      columns: t.columns.filter((c) => c.name !== 'workspace'),
      factKey: t.factKey.filter((c) => c !== 'workspace'),
      // Its views were those of their day; today's name the column, so the old table goes without.
      views: [],
    });
    const old = withoutWorkspace(requestEvents);
    const oldRow = flattened(requestEvents.consumer.flatten(envelopeMessage(bodyIn('OLD')))).rows[0]!;
    delete oldRow.workspace;

    // BigQuery: a table from before the column, a row in it, then today's migration.
    await migrate(bq, { dataset, location: 'US', tables: [old] });
    await bq
      .dataset(dataset)
      .table(requestEvents.name)
      .insert([{ insertId: 'old', json: toBigQueryRow(old, oldRow) }], { raw: true });
    const report = await migrate(bq, { dataset, location: 'US', tables: [requestEvents] });
    expect(report.altered.join('\n')).toContain('added workspace');
    const latest = async () =>
      (await bigQueryRead(bq)(`SELECT workspace, status FROM \`${project}.${dataset}.request_latest\``)) as {
        workspace: string;
        status: string;
      }[];
    expect(
      await waitFor(
        'the old row in BigQuery',
        async () => ((await latest()).length === 1 ? latest() : undefined),
        30_000,
        500,
      ),
    ).toEqual([{ workspace: 'default', status: 'OLD' }]);

    // The lake: a Parquet file written with the old columns, read through today's views.
    const lakeDir = mkdtempSync(join(tmpdir(), 'thena-lake-'));
    const sink = parquetSink({ lakeDir, table: old });
    await sink.prepare(0, '0');
    await sink.writeBatch({ partition: 0, firstOffset: '0', lastOffset: '0', rows: [oldRow] });
    await sink.close();
    const lake = await openLake(lakeDir);
    try {
      const rows = (await lake.runAndReadAll('SELECT workspace, status FROM request_latest')).getRowObjectsJS();
      expect(rows).toEqual([{ workspace: 'default', status: 'OLD' }]);
    } finally {
      lake.closeSync();
    }
  });

  it("refuses a platform event naming globex sent with acme's token, and takes it with globex's", async () => {
    const brokers = inject('kafkaBrokers');
    const ingress = await startIngress(brokers, { INGRESS_AUTH_TOKENS: 'acme=tokA,globex=tokB' });
    const reader = await TopicReader.start(brokers, topics.platformEvents.name);
    try {
      const eventId = uniqueName('bound');
      const body = JSON.stringify(
        platformBody('ticket:created', { ticket: ticket({ id: `${eventId}-T1` }) }, { eventId, orgId: 'globex' }),
      );
      const send = async (authorization: string) => {
        const res = await fetch(`${ingress.url}/webhooks/thena/platform`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', authorization },
        });
        return { status: res.status, json: (await res.json()) as Record<string, unknown> };
      };

      const refused = await send('tokA');
      expect(refused).toEqual({
        status: 403,
        json: {
          error: 'forbidden',
          message:
            "the token is bound to workspace 'acme' but the event names orgId 'globex'; " +
            "send it with a token bound to 'globex' or a bare token",
        },
      });
      expect(await send('tokB')).toEqual({ status: 202, json: { status: 'accepted', eventId } });

      // One key, one partition: had the refused event been published, it would be read before this one.
      const ours = (m: { value: string }) => m.value.includes(eventId);
      await reader.waitFor('the accepted event on the platform topic', ours);
      const found = reader.messages.filter(ours).map((m) => JSON.parse(m.value) as Record<string, unknown>);
      expect(found.map((e) => [e.eventId, e.workspace])).toEqual([[eventId, 'globex']]);
      const metrics = await (await fetch(`${ingress.url}/metrics`)).text();
      expect(metrics).toContain('thena_ingress_requests_total{outcome="forbidden",service="ingress"} 1');
    } finally {
      await reader.stop();
      await ingress.close();
    }
  });
});
