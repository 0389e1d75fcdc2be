// The BigQuery sink against the emulator through the official client: streaming through the real
// broker with the real runtime, the views, a batch with one bad row, fencing, and rows larger than
// the server takes. The migration's own tests are in migrate.integration.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../infra/local/paths.js';
import type { BigQuery } from '@google-cloud/bigquery';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { createLogger } from '../../services/shared/logger.js';
import { migrate } from '../../services/bigquery/migrate.js';
import { bigQuerySink, toBigQueryRow } from '../../services/bigquery/index.js';
import type { Row } from '../../schemas/flattener.js';
import type { Assignment, Sink } from '../../schemas/sink.js';
import type { TableDefinition } from '../../schemas/table.js';
import { flattened } from '../support/flatten.js';
import { envelopeMessage } from '../fixtures/envelopes.js';
import { TopicReader } from '../support/topic-reader.js';
import { requestActivity, requestEvents, catalogue as tables } from '../../tables/catalogue.js';
import { lakeFixture, type LakeFixture } from '../support/lake.js';
import { waitFor } from '../support/wait.js';
import { lifecycle } from '../fixtures/lifecycle.js';
import { seed } from '../fixtures/webhooks.js';
import { testWriteClient } from '../support/bigquery.js';
import { repeatedRowsSql } from '../support/repeats.js';
import { testDataset } from '../support/drop-datasets.js';

function client(): BigQuery {
  return createBigQuery({
    BIGQUERY_PROJECT: inject('bigqueryProject'),
    BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint'),
  })!;
}
async function count(bq: BigQuery, sql: string): Promise<number> {
  const [rows] = await bq.query(sql);
  return Number(Object.values(rows[0] as object)[0]);
}

describe('BigQuery sink (real broker, emulator)', () => {
  let fx: LakeFixture;
  let bq: BigQuery;
  let dataset: string;
  const lifecycles = Array.from({ length: 40 }, (_, i) => lifecycle(String(7000 + i), 6, i < 20 ? 'ONE' : 'TWO'));
  const eventIds = new Set<string>();

  beforeAll(async () => {
    bq = client();
    dataset = testDataset('stream');
    await migrate(bq, { dataset, location: 'US' });
    fx = await lakeFixture(inject('kafkaBrokers'));
    const sink = (table: (typeof tables)[number]) =>
      bigQuerySink({ bq, writeClient: testWriteClient(), dataset, table });
    for (const name of ['request-events', 'request-activity', 'request-assignments', 'request-csat'] as const) {
      await fx.consume(name, { maxAgeMs: 500 }, sink);
    }
    for (const id of await fx.publish([seed, seed])) eventIds.add(id);
    for (const l of lifecycles) for (const id of await fx.publish(l.bodies)) eventIds.add(id);
    await fx.publish(lifecycles.map((l) => l.bodies[0])); // late replays
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('streams every event and each fact once through the views', async () => {
    const expectedActivity = 1 + lifecycles.reduce((n, l) => n + l.activityItems, 0);
    const q = (sql: string) => count(bq, sql.replaceAll('$d', `\`${inject('bigqueryProject')}.${dataset}\``));
    await waitFor(
      'all facts in BigQuery',
      async () =>
        (await q('SELECT count(*) FROM $d.request_history')) === eventIds.size &&
        (await q('SELECT count(*) FROM $d.activity')) === expectedActivity &&
        (await q('SELECT count(*) FROM $d.csat')) === 1 + 2 * lifecycles.length,
      90_000,
      1000,
    );
    // A repeat in the base table (insertId deduplication is best effort), planted under another
    // insertId: the view still gives that event once.
    const [seedFact] = flattened(requestEvents.consumer.flatten(envelopeMessage(seed))).rows;
    await bq
      .dataset(dataset)
      .table('request_events')
      .insert([{ insertId: 'planted-repeat', json: toBigQueryRow(requestEvents, seedFact!) }], { raw: true });
    expect(await q(`SELECT count(*) FROM $d.request_events WHERE event_id = '${seedFact!.event_id}'`)).toBeGreaterThan(
      1,
    );
    expect(await q(`SELECT count(*) FROM $d.request_history WHERE event_id = '${seedFact!.event_id}'`)).toBe(1);
    expect(await q('SELECT count(*) FROM $d.request_history')).toBe(eventIds.size);
    expect(await q('SELECT count(*) FROM $d.assignments')).toBe(1 + lifecycles.length * 5);
    expect(await q("SELECT count(*) FROM $d.request_latest WHERE status = 'CLOSED'")).toBe(lifecycles.length);
    expect(await q('SELECT count(*) FROM $d.request_latest')).toBe(lifecycles.length + 1);
    const [[seedRow]] = (await bq.query(
      `SELECT reply_count, ai_tags, event_time FROM \`${dataset}.request_history\` WHERE request_id = '42'`,
    )) as [Record<string, any>[]];
    expect(seedRow).toMatchObject({ reply_count: 8, ai_tags: ['Lorem', 'Ipsum'] });
    expect(seedRow!.event_time.value).toBe('2023-08-23T22:51:21.912Z');
    const [[activityRow]] = (await bq.query(
      `SELECT activity_ts FROM \`${dataset}.activity\` WHERE request_id = '42'`,
    )) as [Record<string, any>[]];
    // Microseconds kept (the emulator prints nanoseconds, BigQuery microseconds).
    expect(activityRow!.activity_ts.value).toMatch(/^2023-08-23T21:33:29\.902529(000)?Z$/);
  });

  it('answers the example queries of the README and the docs as expected', async () => {
    const readme = ['README.md', 'docs/lake.md', 'docs/bigquery.md']
      .map((f) => readFileSync(join(repoRoot, f), 'utf8'))
      .join('\n');
    const queries = new Map(
      [...readme.matchAll(/```sql\n-- query: ([\w-]+)\n([\s\S]*?)```/g)].map((m) => [
        m[1]!,
        m[2]!.replaceAll('thena_lake.', `${dataset}.`),
      ]),
    );
    expect([...queries.keys()]).toEqual([
      'status-transitions',
      'first-response-by-team',
      'team-backlog',
      'assignee-csat',
      'time-to-assignment',
      'csat-by-team',
    ]);
    const run = async (name: string) => (await bq.query(queries.get(name)!))[0] as Record<string, any>[];

    const transitions = await run('status-transitions');
    expect(transitions).toHaveLength(1 + 6 * lifecycles.length);
    expect(transitions.filter((t) => t.request_id === '7000').map((t) => [t.from_status, t.to_status])).toEqual([
      [null, 'NEW'],
      ['NEW', 'ASSIGNED'],
      ['ASSIGNED', 'IN_PROGRESS'],
      ['IN_PROGRESS', 'WAITING'],
      ['WAITING', 'RESOLVED'],
      ['RESOLVED', 'CLOSED'],
    ]);

    const waits = await run('time-to-assignment');
    expect(waits).toHaveLength(1 + lifecycles.length);
    expect(waits.find((w) => w.request_id === '42')!.seconds_to_assignment).toBe(4820);
    expect(waits.filter((w) => w.request_id !== '42').every((w) => w.seconds_to_assignment === 60)).toBe(true);

    expect(await run('csat-by-team')).toEqual([
      { team_name: 'Team Lorem Ipsum', ratings: 1, average_rating: 5 },
      { team_name: 'Team ONE', ratings: 40, average_rating: 4.5 },
      { team_name: 'Team TWO', ratings: 40, average_rating: 4.5 },
    ]);

    // The metric views' examples agree with the views they read.
    const metrics = (await bq.query(`SELECT team_name, first_response_s FROM \`${dataset}.request_metrics\``))[0] as {
      team_name: string;
      first_response_s: number | null;
    }[];
    const byTeam = await run('first-response-by-team');
    expect(byTeam.map((t) => t.team_name)).toEqual(['Team Lorem Ipsum', 'Team ONE', 'Team TWO']);
    for (const team of byTeam) {
      const own = metrics.filter((m) => m.team_name === team.team_name);
      expect(team.requests).toBe(own.length);
      expect(team.answered).toBe(own.filter((m) => m.first_response_s !== null).length);
    }
    const backlog = await run('team-backlog');
    expect(backlog.length).toBeGreaterThan(0);
    // The backlog at each team's last day is what request_metrics says is still open.
    const lastDay = new Map(backlog.map((b) => [b.team_name as string, b.open_at_end_of_day as number]));
    const open = (
      await bq.query(
        `SELECT team_name, COUNT(*) AS n FROM \`${dataset}.request_metrics\` WHERE closed_at IS NULL GROUP BY 1`,
      )
    )[0] as { team_name: string; n: number }[];
    for (const [team, n] of lastDay) expect(n, team).toBe(open.find((o) => o.team_name === team)?.n ?? 0);
    const csat = await run('assignee-csat');
    expect(csat.length).toBeGreaterThan(0);
    expect(csat.every((a) => a.csat >= 1 && a.csat <= 5)).toBe(true);
  });

  it('sends a row BigQuery refuses to the dead-letter topic and writes the rest of the batch', async () => {
    const row = (i: number) => ({
      event_id: `${'e'.repeat(31)}${i}`,
      request_id: '9900',
      event_time: 1795773600000000n,
      activity_index: i,
      activity_id: `bad-batch-${i}`,
      activity_ts: null,
      activity_ts_raw: String(i),
      user_id: null,
      user_name: null,
      text_html: null,
      text_plain: null,
    });
    // activity_index is INT64: a string that is not a number is refused by BigQuery alone.
    const sink = bigQuerySink({ bq, writeClient: testWriteClient(), dataset, table: requestActivity });
    const rows = [row(1), { ...row(2), activity_index: 'two' }, row(3)];
    const { refused } = await sink.writeBatch({ partition: 0, firstOffset: '0', lastOffset: '2', rows });
    expect(refused).toHaveLength(1);
    expect(refused[0]!.row.activity_id).toBe('bad-batch-2');
    expect(refused[0]!.reason).toBe('invalid');
    expect(await count(bq, `SELECT count(*) FROM \`${dataset}.request_activity\` WHERE request_id = '9900'`)).toBe(2);

    // Through the runtime, the refused row reaches the dead-letter topic with its origin.
    const dlq = await TopicReader.start(inject('kafkaBrokers'), fx.dlqTopic);
    const spoiling = (table: TableDefinition): Sink => {
      const inner = bigQuerySink({ bq, writeClient: testWriteClient(), dataset, table });
      const spoil = (r: Row) =>
        r.request_id === '9901' && r.activity_index === 1 ? { ...r, activity_index: 'two' } : r;
      return { ...inner, writeBatch: (batch) => inner.writeBatch({ ...batch, rows: batch.rows.map(spoil) }) };
    };
    await fx.consume('request-activity', { maxAgeMs: 300 }, spoiling);
    const [eventId] = await fx.publish([lifecycle('9901').bodies[2]]);
    expect(eventId).toBeDefined();
    const [record] = await dlq.waitFor('the dead letter', (m) => m.value.includes('"activity_index\\":\\"two\\"'));
    await dlq.stop();
    const dead = JSON.parse(record!.value);
    expect(dead).toMatchObject({
      source: expect.stringMatching(/^request-activity.*\/bigquery$/),
      reason: 'bigquery_invalid',
      origin: { topic: fx.eventsTopic, offset: expect.stringMatching(/^\d+-\d+$/) },
    });
    expect(JSON.parse(dead.rawBody)).toMatchObject({ request_id: '9901', activity_index: 'two' });
  });
});

describe('BigQuery sink: each row once across owners of a partition (Storage Write API)', () => {
  it('a new owner fences the last stream and leaves out what the old one wrote uncommitted; the old one writes no more', async () => {
    const bq = client();
    const dataset = testDataset('owners');
    await migrate(bq, { dataset, location: 'US' });
    // Two rows per event, and one with a NULL in its identity: the check must find that one too.
    const rows = (from: number, n: number): Row[] =>
      Array.from({ length: n }, (_, k) => ({
        event_id: `${'f'.repeat(30)}${String(Math.floor((from + k) / 2)).padStart(2, '0')}`,
        request_id: '7700',
        event_time: 1795773600000000n,
        activity_index: (from + k) % 2,
        activity_id: from + k === 4 ? null : `owner-${from + k}`,
        activity_ts: null,
        activity_ts_raw: '1',
        user_id: null,
        user_name: null,
        text_html: null,
        text_plain: null,
      }));
    // The partition's committed offset and its metadata, kept as the group coordinator keeps them:
    // a member that lost the partition can no longer commit.
    let committed: { offset: string; metadata: string | null } | undefined;
    const member = () => {
      let owner = true;
      const assignment: Assignment = {
        committedMetadata: committed?.metadata,
        endOffset: async () => '8',
        async claim(metadata) {
          if (!owner) throw new Error('not a member of the current generation');
          committed = { offset: committed?.offset ?? '0', metadata };
        },
      };
      return { assignment, revoke: () => (owner = false) };
    };
    const sink = () => bigQuerySink({ bq, writeClient: testWriteClient(), dataset, table: requestActivity });

    const a = sink();
    const first = member();
    await a.prepare(0, '0', first.assignment);
    const written = await a.writeBatch({ partition: 0, firstOffset: '0', lastOffset: '2', rows: rows(0, 3) });
    committed = { offset: '3', metadata: written.commitMetadata! };
    // A writes offsets 3-5, then loses the partition before committing them.
    await a.writeBatch({ partition: 0, firstOffset: '3', lastOffset: '5', rows: rows(3, 3) });
    first.revoke();

    const b = sink();
    await b.prepare(0, '3', member().assignment);
    const again = await b.writeBatch({ partition: 0, firstOffset: '3', lastOffset: '7', rows: rows(3, 5) });
    committed = { offset: '8', metadata: again.commitMetadata! };

    // A, unaware: B finalized its stream; its retry finds the row written already; for a newer
    // one it needs a stream, which it cannot claim.
    const late = { partition: 0, firstOffset: '6', lastOffset: '6', rows: rows(6, 1) };
    await expect(a.writeBatch(late)).rejects.toThrow(/takes no more rows/);
    await expect(a.writeBatch(late)).resolves.toMatchObject({ refused: [] });
    const newer = { partition: 0, firstOffset: '8', lastOffset: '8', rows: rows(8, 1) };
    await expect(a.writeBatch(newer)).rejects.toThrow(/could not claim/);

    const base = `\`${inject('bigqueryProject')}.${dataset}.request_activity\``;
    expect(await count(bq, `SELECT count(*) FROM ${base}`)).toBe(8);
    expect((await bq.query(repeatedRowsSql(requestActivity, base)))[0]).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('BigQuery sink: rows and appends larger than the server takes (emulator, 4 MiB per message)', () => {
  // Incompressible text of `n` bytes.
  const noise = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => 97 + ((i * 7919) % 26))).toString();
  const rowOf = (id: string, description: string): Row => {
    const [row] = flattened(
      requestEvents.consumer.flatten(
        envelopeMessage({ ...seed, request: { ...seed.request, requestId: id, description } }),
      ),
    ).rows;
    return row!;
  };

  it.each([
    ['bounded at the emulator’s limit: cut before sending', 4_000_000],
    ['bounded above it: the server refuses, the sink splits and cuts on its word', 8_000_000],
  ])('%s', async (_what, appendMaxBytes) => {
    const bq = client();
    const dataset = testDataset('oversized');
    await migrate(bq, { dataset, location: 'US' });
    const said: string[] = [];
    const logger = createLogger('oversized', { LOG_LEVEL: 'warn' }, { write: (line: string) => void said.push(line) });
    const sink = bigQuerySink({
      bq,
      writeClient: testWriteClient(),
      dataset,
      table: requestEvents,
      appendMaxBytes,
      logger,
    });
    await sink.prepare(0, '0');
    // Three rows of ~3.2 MB (together past any one append) and one of ~9.5 MB (past it alone).
    const rows = [
      ...['1', '2', '3'].map((id) => rowOf(`81000${id}`, noise(1_050_000))),
      rowOf('810004', noise(3_100_000)),
    ];
    const result = await sink.writeBatch({ partition: 0, firstOffset: '0', lastOffset: '3', rows });
    expect(result.refused).toEqual([]);
    const [found] = await bq.query(
      `SELECT request_id, truncated_columns, LENGTH(description_text) AS n, payload_json FROM \`${inject('bigqueryProject')}.${dataset}.request_events\` ORDER BY request_id`,
    );
    const byId = found as { request_id: string; truncated_columns: string[]; n: number; payload_json: string }[];
    expect(byId.map((r) => r.request_id)).toEqual(['810001', '810002', '810003', '810004']);
    for (const r of byId.slice(0, 3)) {
      expect(r.truncated_columns).toEqual([]);
      expect(Number(r.n)).toBe(1_050_000);
    }
    const big = byId[3]!;
    expect(big.truncated_columns.sort()).toEqual(['description_html', 'description_text', 'payload_json']);
    expect(Number(big.n)).toBeGreaterThan(500_000);
    expect(Number(big.n)).toBeLessThan(3_100_000);
    expect(JSON.parse(big.payload_json)).toMatchObject({ requestId: '810004' });
    // Above the emulator's limit, the server's own refusal is what made the sink split and cut.
    const refusals = said.filter((line) => line.includes('refused an append as too large')).length;
    if (appendMaxBytes > 4_194_304) expect(refusals).toBeGreaterThan(0);
    else expect(refusals).toBe(0);
    await sink.close();
  });
});
