// Event-id accounting for fault tests: what the lake's and BigQuery's views hold, against what the
// webhooks that were answered 202 should produce. The expected facts come from running the
// services' own flatteners over the accepted bodies, so every table is counted, not only
// request_events: each expected fact present exactly once, nothing that was never sent.
import { expect } from 'vitest';
import type { BigQuery } from '@google-cloud/bigquery';
import type { TableDeclaration, TableDefinition } from '../../schemas/table.js';
import { topics } from '../../schemas/topics.js';
import { eventEnvelope } from '../../services/ingress/envelope.js';
import { classify } from '../../services/ingress/webhook.js';
import { readLake } from '../../services/lake/duckdb.js';
import type { LakeStore } from '../../services/lake/store.js';
import { catalogue } from '../../tables/catalogue.js';
import type { WebhookLoad } from './load.js';
import { repeatedRowsSql } from './repeats.js';
import { waitUntilCaughtUp } from './caught-up.js';

/** The tables fed by `topic`, by the view analysts query for their facts. */
const factViewsOf = (topic: string): Record<string, TableDefinition> =>
  Object.fromEntries(catalogue.filter((t) => t.consumer.topic === topic).map((t) => [t.factView, t]));
/** Every table fed by the request events topic: what the fault suite's webhooks fill. */
export const factViews = factViewsOf(topics.requestEvents.name);
/** Every table fed by the platform events topic: counted by the platform events' own test. */
export const platformFactViews = factViewsOf(topics.platformEvents.name);
type FactView = string;
const viewNames = Object.keys(factViews);
/** The view of the dead-letter table, which the accounting reads for the ingress's rejections. */
export const rejectionsView = catalogue.find((t) => t.consumer.topic === topics.deadLetter.name)!.factView;

const keyOf = (table: TableDeclaration, row: Record<string, unknown>) =>
  table.factKey.map((c) => (row[c] === null || row[c] === undefined ? '\u2205' : String(row[c]))).join('|');

/** Fact keys per view that `bodies` produce when flattened. */
export function factsOf(bodies: unknown[]): Record<FactView, Set<string>> {
  const out = Object.fromEntries(viewNames.map((v) => [v, new Set<string>()])) as Record<FactView, Set<string>>;
  for (const body of bodies) {
    const result = classify(JSON.stringify(body));
    if (result.kind !== 'accepted') continue;
    const value = eventEnvelope(result, new Date());
    for (const view of viewNames) {
      const table = factViews[view]!;
      const out_ = table.consumer.flatten({ topic: table.consumer.topic, partition: 0, offset: '0', value });
      for (const row of out_.kind === 'rows' ? out_.rows : []) out[view]!.add(keyOf(table, row));
    }
  }
  return out;
}

/**
 * The fact keys, per fact view of `views`, that the envelopes (Kafka values) produce when
 * flattened, and the keys each view holds as `read` answers (with repeats): to compare, one sink
 * at a time. For tables outside the fault suite's load, such as the platform tables.
 */
export function factsOfEnvelopes(
  views: Record<string, TableDefinition>,
  values: string[],
): Record<string, Set<string>> {
  const out: Record<string, Set<string>> = {};
  for (const [view, table] of Object.entries(views)) {
    out[view] = new Set();
    for (const value of values) {
      const result = table.consumer.flatten({ topic: table.consumer.topic, partition: 0, offset: '0', value });
      for (const row of result.kind === 'rows' ? result.rows : []) out[view].add(keyOf(table, row));
    }
  }
  return out;
}

export async function factsInViews(
  views: Record<string, TableDefinition>,
  read: (sql: string) => Promise<Record<string, unknown>[]>,
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [view, table] of Object.entries(views)) {
    out[view] = (await read(`SELECT ${table.factKey.join(', ')} FROM ${view}`)).map((r) => keyOf(table, r));
  }
  return out;
}

/** What one sink's views hold: fact keys per view (with repeats), and the dead-letter records. */
export interface SinkContents {
  facts: Record<FactView, string[]>;
  rejected: { source: string; rawBody: string | null; dlq: string }[];
}

export async function lakeContents(where: string | LakeStore): Promise<SinkContents> {
  return readLake(where, (lake) => contents(async (sql) => (await lake.runAndReadAll(sql)).getRowObjectsJS()));
}

export async function bigQueryContents(bq: BigQuery, project: string, dataset: string): Promise<SinkContents> {
  return contents(async (sql) => {
    const [rows] = await bq.query(
      sql.replace(/FROM (\w+)/, (_, name: string) => `FROM \`${project}.${dataset}.${name}\``),
    );
    return rows as Record<string, unknown>[];
  });
}

async function contents(read: (sql: string) => Promise<Record<string, unknown>[]>): Promise<SinkContents> {
  const facts = {} as Record<FactView, string[]>;
  for (const view of viewNames) {
    const table = factViews[view]!;
    facts[view] = (await read(`SELECT ${table.factKey.join(', ')} FROM ${view}`)).map((r) => keyOf(table, r));
  }
  const rejected = (await read(`SELECT source, raw_body, dlq_partition, dlq_offset FROM ${rejectionsView}`)).map(
    (r) => ({
      source: String(r.source),
      rawBody: (r.raw_body as string | null) ?? null,
      dlq: `${String(r.dlq_partition)}/${String(r.dlq_offset)}`,
    }),
  );
  return { facts, rejected };
}

/**
 * The rows BigQuery's base tables (not the views) hold more than once, per table: a row is an
 * event's fact (event_id and fact key), the tables' grain. Retries, crashes and rebalances must
 * not add any; the views hide repeats, so only here can one show.
 */
export async function bigQueryBaseRepeats(
  bq: BigQuery,
  project: string,
  dataset: string,
): Promise<Record<string, Record<string, unknown>[]>> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const table of Object.values(factViews)) {
    const [rows] = await bq.query(repeatedRowsSql(table, `\`${project}.${dataset}.${table.name}\``));
    if (rows.length > 0) out[table.name] = rows as Record<string, unknown>[];
  }
  return out;
}

export interface Account {
  /** Per view: expected facts, and how many are missing, repeated or never sent. */
  views: Record<FactView, { expected: number; missing: number; repeated: number; extra: number }>;
  /** Invalid bodies answered 400 that are not in the rejections view. */
  rejectedMissing: number;
  /** Rows of the rejections view that repeat a dead-letter record, or are not an ingress rejection of ours. */
  rejectedRepeated: number;
  rejectedOther: number;
  /** Rows of the rejections view that a consumer sent (a message or row it could not process). */
  consumerFailures: number;
}

/** What the sinks must hold once a load has ended; computed once, since flattening every body costs. */
export interface Expectations {
  /** Facts of the bodies answered 202. */
  expected: Record<FactView, Set<string>>;
  /** Facts of every body sent: one the ingress took but whose answer was lost (a kill mid-request) may be present too. */
  allowed: Record<FactView, Set<string>>;
  /** Markers of the invalid bodies answered 400. */
  rejected: Set<string>;
}

export function expectationsOf(load: WebhookLoad): Expectations {
  const acceptedBodies = load.sent.filter((s) => s.eventId && load.accepted.has(s.eventId)).map((s) => s.body);
  return {
    expected: factsOf(acceptedBodies),
    allowed: factsOf(load.sent.map((s) => s.body)),
    rejected: new Set(load.rejected),
  };
}

export function account({ expected, allowed, rejected }: Expectations, sink: SinkContents): Account {
  const views = {} as Account['views'];
  for (const view of viewNames) {
    const counts = new Map<string, number>();
    for (const key of sink.facts[view] ?? []) counts.set(key, (counts.get(key) ?? 0) + 1);
    const mustHave = expected[view] ?? new Set<string>();
    views[view] = {
      expected: mustHave.size,
      missing: [...mustHave].filter((k) => !counts.has(k)).length,
      repeated: [...counts.values()].filter((n) => n > 1).length,
      extra: [...counts.keys()].filter((k) => !allowed[view]?.has(k)).length,
    };
  }
  const markers = new Set<string>();
  let rejectedOther = 0;
  let consumerFailures = 0;
  for (const r of sink.rejected) {
    const marker = r.source === 'ingress' ? markerOf(r.rawBody) : undefined;
    if (marker) markers.add(marker);
    else if (r.source === 'ingress') rejectedOther++;
    else consumerFailures++;
  }
  return {
    views,
    rejectedMissing: [...rejected].filter((m) => !markers.has(m)).length,
    rejectedRepeated: sink.rejected.length - new Set(sink.rejected.map((r) => r.dlq)).size,
    rejectedOther,
    consumerFailures,
  };
}

function markerOf(rawBody: string | null): string | undefined {
  try {
    const marker = (JSON.parse(rawBody ?? '') as { request?: { marker?: unknown } }).request?.marker;
    return typeof marker === 'string' ? marker : undefined;
  } catch {
    // A body at the ingress's limit is cut to fit BigQuery's row (truncated_columns): no longer
    // JSON, but its marker, near the start, is still there.
    return /"marker":"(invalid-body-[^"]+)"/.exec(rawBody ?? '')?.[1];
  }
}

export const complete = (a: Account) => Object.values(a.views).every((v) => v.missing === 0) && a.rejectedMissing === 0;

/**
 * Asserts the account is exact: nothing missing, nothing repeated, nothing that was never sent, and
 * as many records of consumer failures as the test caused.
 */
export function expectExact(sink: string, a: Account, consumerFailures = 0): void {
  const exact = {
    views: Object.fromEntries(
      Object.entries(a.views).map(([view, v]) => [view, { expected: v.expected, missing: 0, repeated: 0, extra: 0 }]),
    ),
    rejectedMissing: 0,
    rejectedRepeated: 0,
    rejectedOther: 0,
    consumerFailures,
  };
  expect(a, `${sink}: every accepted fact exactly once`).toEqual(exact);
  for (const v of Object.values(a.views)) expect(v.expected).toBeGreaterThan(0);
}

export interface SettleOptions {
  /** Whether BigQuery's base tables must hold each row once too (see expectNothingLost). */
  bigQueryBase?: boolean;
  /** Dead-letter records of consumer failures the test caused, expected in the rejections view. */
  consumerFailures?: number;
}

/**
 * Waits until both sinks hold every accepted fact (the consumers catch up at their own pace),
 * then asserts that each holds them exactly once. On a timeout the error carries the last count.
 * Given the brokers, it first waits until the consumers have committed up to the end of their
 * topics (caught-up.ts), so that the first look at the sinks is usually the last.
 */
export async function expectSettledExactly(
  p: { lake: string | LakeStore; bq: BigQuery; project: string; dataset: string; brokers?: string[] },
  load: WebhookLoad,
  timeoutMs = 240_000,
  { bigQueryBase = true, consumerFailures = 0 }: SettleOptions = {},
): Promise<{ lake: Account; bigquery: Account }> {
  const deadline = Date.now() + timeoutMs;
  const expectations = expectationsOf(load);
  const behind = p.brokers ? await waitUntilCaughtUp(p.brokers, timeoutMs) : [];
  for (;;) {
    const lake = account(expectations, await lakeContents(p.lake));
    // BigQuery's views are read once the lake is whole: their queries are the emulator's costliest
    // calls, and both sinks flush at much the same age. Until then the lake (a local read) is
    // looked at every second; after a BigQuery read, every three.
    const bigquery = complete(lake)
      ? await bigQueryContents(p.bq, p.project, p.dataset).then(
          (c) => account(expectations, c),
          (err: Error) => err,
        )
      : undefined;
    if (bigquery !== undefined && !(bigquery instanceof Error) && complete(bigquery)) {
      expectExact('lake', lake, consumerFailures);
      expectExact('bigquery', bigquery, consumerFailures);
      if (bigQueryBase) {
        const repeats = await bigQueryBaseRepeats(p.bq, p.project, p.dataset);
        expect(repeats, 'bigquery base tables: each row once').toEqual({});
      }
      return { lake, bigquery };
    }
    if (Date.now() > deadline) {
      const bq =
        bigquery === undefined
          ? 'not read, the lake being incomplete'
          : bigquery instanceof Error
            ? bigquery.message
            : JSON.stringify(bigquery);
      throw new Error(
        `after ${timeoutMs / 1000}s the sinks still miss accepted facts; load: ${load.summary()}; lake: ${JSON.stringify(lake)}; bigquery: ${bq}` +
          (behind.length > 0 ? `; consumers behind Kafka: ${behind.join(', ')}` : ''),
      );
    }
    await new Promise((r) => setTimeout(r, bigquery === undefined ? 1_000 : 3_000));
  }
}

/** Expected facts per view, for a test's closing line. */
export const expectedCounts = (a: Account) =>
  Object.fromEntries(Object.entries(a.views).map(([view, v]) => [view, v.expected]));

/**
 * The fault tests' closing check: the sender lost nothing, both sinks' views hold every accepted
 * fact once, and BigQuery's base tables no row twice. `bigQueryBase: false` leaves the base tables
 * out for faults that put one event into Kafka twice and restart the consumers: a consumer that
 * restarts no longer remembers the first copy, and the base tables do not promise to absorb the
 * second (docs/guarantees.md); the views still must.
 */
export async function expectNothingLost(
  p: Parameters<typeof expectSettledExactly>[0],
  load: WebhookLoad,
  options: SettleOptions = {},
): ReturnType<typeof expectSettledExactly> {
  expect(load.unexpected).toEqual([]);
  // The bar: Thena never exhausted its retries, so nothing was lost at the source.
  expect(load.givenUp).toEqual([]);
  return expectSettledExactly(p, load, undefined, options);
}
