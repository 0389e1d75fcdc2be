// Bodies at the ingress's limit, while ordinary traffic goes on: a request webhook, a platform
// comment event and a rejected body, each of INGRESS_BODY_LIMIT_BYTES, and 50 valid bodies of
// 150 KiB within a second to one partition. A row at the limit is three times the body in
// request_events (description as HTML and text, and the payload), past what the emulator takes in
// one append. Every accepted fact must land once in every table of both sinks, cut where it had to
// be and flagged so, with no service restarted; and traffic behind the big ones must flow on.
//
// Twice: with BIGQUERY_APPEND_MAX_BYTES at the emulator's limit (rows are cut before they are
// sent), and above it, so that the emulator's own refusal (gRPC RESOURCE_EXHAUSTED) and the
// stream's error path run for real and the sink splits and cuts on the server's word.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BigQuery } from '@google-cloud/bigquery';
import { readLake } from '../../services/lake/duckdb.js';
import { classify } from '../../services/ingress/webhook.js';
import { ticketComments } from '../../tables/ticket-comments/table.js';
import { comment, platformBody } from '../fixtures/platform-events.js';
import { webhook } from '../fixtures/webhooks.js';
import { expectNothingLost } from '../support/accounting.js';
import { sleep, usePipeline, type Pipeline } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

/** The ingress's default body limit (INGRESS_BODY_LIMIT_BYTES). */
const limit = 4 * 1024 * 1024;

/** Text that compresses no better than random data (base64 of random bytes), `n` bytes of it. */
const noise = (n: number) =>
  randomBytes(Math.ceil((n * 3) / 4) + 3)
    .toString('base64')
    .slice(0, n);

/** `make(filler)` with the filler sized so the body's JSON is exactly `bytes` long. */
function bodyOf<T>(bytes: number, make: (filler: string) => T): T {
  const empty = Buffer.byteLength(JSON.stringify(make('')));
  const body = make(noise(bytes - empty));
  expect(Buffer.byteLength(JSON.stringify(body))).toBe(bytes);
  return body;
}

async function bigQueryRows(p: Pipeline, sql: string, params: Record<string, unknown>) {
  const [rows] = await (p.bq as BigQuery).query({
    query: sql.replaceAll('{{ds}}', `${p.project}.${p.dataset}`),
    params,
  });
  return rows as Record<string, unknown>[];
}

async function lakeRows(p: Pipeline, sql: string) {
  return readLake(p.lake, async (lake) => (await lake.runAndReadAll(sql)).getRowObjectsJS());
}

describe.each([
  ['appends bounded at the emulator’s limit', 'faults-oversized', {}],
  ['appends bounded above the emulator’s limit', 'faults-oversized-8mb', { BIGQUERY_APPEND_MAX_BYTES: '8000000' }],
])('bodies at the limit, %s', (_what, name, env) => {
  const pipeline = usePipeline(name, { supervise: true, platform: true, env });

  it('stores every accepted fact once in both sinks, cut and flagged where needed, restarting nothing', async () => {
    const p = pipeline();
    const pids = Object.fromEntries(p.services().flatMap((s) => (s.pid ? [[s.name, s.pid]] : [])));
    const load = p.load(10);
    load.start();
    await sleep(3_000);

    const big = bodyOf(limit, (filler) => webhook({ requestId: 900_001, description: `<p>${filler}</p>` }));
    const rejected = bodyOf(limit, (filler) => ({
      action: 'UPDATE',
      request: { marker: 'invalid-body-at-the-limit', status: 'NEW', filler },
    }));
    const bigComment = bodyOf(limit, (filler) =>
      platformBody(
        'ticket:comment:created',
        { comment: comment({ id: 'C-big', content: filler }) },
        { eventId: 'evt-big' },
      ),
    );
    // One request id: one partition, 50 distinct events of 150 KiB each.
    const burst = Array.from({ length: 50 }, (_, i) =>
      bodyOf(150 * 1024, (filler) =>
        webhook({
          requestId: 900_002,
          updatedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
          description: filler,
        }),
      ),
    );
    const platform = await fetch(`${p.ingressUrl}/webhooks/thena/platform`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: p.token },
      body: JSON.stringify(bigComment),
    });
    expect(platform.status).toBe(202);
    const started = Date.now();
    await Promise.all([load.post(big), load.post(rejected), ...burst.map((b) => load.post(b))]);
    expect(Date.now() - started, 'the burst went out within seconds').toBeLessThan(15_000);

    // An ordinary webhook behind the big ones reaches both sinks within 60 s.
    const ordinary = webhook({ requestId: 900_003 });
    const ordinaryId = (classify(JSON.stringify(ordinary)) as { eventId: string }).eventId;
    await load.post(ordinary);
    const postedAt = Date.now();
    await waitFor(
      'the ordinary webhook in both sinks',
      async () => {
        const inLake = await lakeRows(p, `SELECT 1 FROM request_history WHERE event_id = '${ordinaryId}'`);
        const inBq = await bigQueryRows(p, 'SELECT 1 FROM `{{ds}}.request_history` WHERE event_id = @id', {
          id: ordinaryId,
        }).catch(() => []);
        return inLake.length === 1 && inBq.length === 1;
      },
      60_000,
      1_000,
    );
    const ordinarySeconds = (Date.now() - postedAt) / 1000;

    await load.stop();
    expect(load.accepted.size).toBeGreaterThan(52);
    await expectNothingLost(p, load);

    // The big request: whole in the lake, cut and flagged in BigQuery, the payload still JSON.
    const bigId = (classify(JSON.stringify(big)) as { eventId: string }).eventId;
    const sql = `SELECT truncated_columns, length(description_text) AS n, payload_json FROM request_history WHERE event_id = '${bigId}'`;
    const [inLake] = await lakeRows(p, sql);
    expect(inLake?.truncated_columns).toEqual([]);
    expect(Number(inLake?.n)).toBeGreaterThan(limit - 10_000);
    const [inBq, ...more] = await bigQueryRows(
      p,
      sql.replace('FROM request_history', 'FROM `{{ds}}.request_history`'),
      {},
    );
    expect(more).toEqual([]);
    expect(inBq?.truncated_columns).toEqual(
      expect.arrayContaining(['description_html', 'description_text', 'payload_json']),
    );
    expect(Number(inBq?.n)).toBeLessThan(limit / 2);
    expect(JSON.parse(inBq?.payload_json as string)).toMatchObject({ requestId: 900_001 });

    // The big comment: once in each sink, whole in the lake, cut and flagged in BigQuery.
    const commentSql = `SELECT truncated_columns, length(content_text) AS n FROM ${ticketComments.factView} WHERE comment_id = 'C-big'`;
    const lakeComments = await lakeRows(p, commentSql);
    expect(lakeComments).toHaveLength(1);
    expect(Number(lakeComments[0]?.n)).toBeGreaterThan(limit - 10_000);
    const bqComments = await bigQueryRows(
      p,
      commentSql.replace(`FROM ${ticketComments.factView}`, `FROM \`{{ds}}.${ticketComments.factView}\``),
      {},
    );
    expect(bqComments).toHaveLength(1);
    expect((bqComments[0]?.truncated_columns as string[]).length).toBeGreaterThan(0);

    // Above the emulator's limit, the server's own refusal is what made the sinks split and cut.
    const refusals = readdirSync(p.logDir)
      .map((f) => readFileSync(join(p.logDir, f), 'utf8').split('refused an append as too large').length - 1)
      .reduce((a, b) => a + b, 0);
    if ('BIGQUERY_APPEND_MAX_BYTES' in env) expect(refusals).toBeGreaterThan(0);
    else expect(refusals).toBe(0);

    // Nothing restarted: no exit, every process the one that started.
    expect(p.crashes()).toEqual({});
    const now = Object.fromEntries(p.services().flatMap((s) => (s.pid ? [[s.name, s.pid]] : [])));
    expect(now).toEqual(pids);
    console.log(
      `${name}: ${load.summary()}; ordinary webhook in both sinks after ${ordinarySeconds.toFixed(1)} s; ` +
        `BigQuery cut ${JSON.stringify(inBq?.truncated_columns)}; ${refusals} appends refused by the server as too large`,
    );
  });
});
