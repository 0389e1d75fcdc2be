// bench:freshness's sightings and their report: what was seen when, as percentiles against the
// 202s, in one table per sink and measure, with a verdict per target.
import { parseConfig } from '../services/shared/config.js';
import type { Pipeline } from '../test/support/pipeline.js';

/** First time (performance.now()) each event id was seen somewhere, and how each look went. */
export interface Sighting {
  name: string;
  seen: Map<string, number>;
  /** Duration of each look (a query and its answer, or an offset fetch), ms. */
  rounds: number[];
  errors: number;
  lastError?: string;
}

export const newSighting = (name: string): Sighting => ({ name, seen: new Map(), rounds: [], errors: 0 });

export const noteError = (s: Sighting, err: unknown) => {
  s.errors++;
  s.lastError = (err as Error).message.split('\n')[0];
};

/** One sink as measured: its consumer group's commits, its fact view, and its empty query's cost. */
export interface SinkWatch {
  groupId: string;
  committed: Sighting;
  visible: Sighting;
  /** Only its rounds and errors count: the empty query's durations. */
  empty: Sighting;
}

export interface Figures {
  seen: number;
  p50: number;
  p95: number;
  max: number;
}

/** Nearest-rank percentiles of `xs`. */
export function percentiles(xs: number[]): Figures {
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { seen: sorted.length, p50: rank(0.5), p95: rank(0.95), max: sorted.at(-1) ?? NaN };
}

/** Seconds from each accepted id's 202 to its first sighting. */
export const figures = (s: Sighting, accepted: Map<string, number>): Figures =>
  percentiles([...accepted].flatMap(([id, at]) => (s.seen.has(id) ? [(s.seen.get(id)! - at) / 1000] : [])));

export const secs = (s: number) =>
  Number.isNaN(s) ? '-' : Math.abs(s) < 1 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
export const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export interface Targets {
  lake: number;
  bigQueryCommitted: number;
  /** Plus the empty query's p95 of the same run. */
  bigQueryVisible: number;
}

export function report(
  lake: SinkWatch,
  bigQuery: SinkWatch,
  kafka: Sighting,
  accepted: Map<string, number>,
  t: Targets,
) {
  const line = (name: string, seen: string, f: Figures, roundMs: number | undefined, errors: number) => {
    const cells = [
      seen.padStart(11),
      secs(f.p50).padStart(8),
      secs(f.p95).padStart(8),
      secs(f.max).padStart(8),
      (roundMs === undefined ? '-' : `${Math.round(roundMs)} ms`).padStart(11),
      String(errors).padStart(7),
    ];
    return `  ${name.padEnd(24)} ${cells.join(' ')}`;
  };
  const timed = (s: Sighting) => {
    const f = figures(s, accepted);
    return line(s.name, `${f.seen}/${accepted.size}`, f, medianOf(s.rounds), s.errors);
  };
  const emptyFigures = (s: Sighting) => percentiles(s.rounds.map((ms) => ms / 1000));
  const untimed = (s: Sighting) => line(s.name, `${s.rounds.length} runs`, emptyFigures(s), undefined, s.errors);
  const lines = [
    `\n  ${'sink, measure'.padEnd(24)} ${'seen'.padStart(11)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'max'.padStart(8)} ${'query (med)'.padStart(11)} ${'errors'.padStart(7)}`,
    timed(kafka),
    ...[lake, bigQuery].flatMap((s) => [timed(s.committed), timed(s.visible), untimed(s.empty)]),
    `  (query: a view query; for "committed", a fetch of the group's offsets; p50 to max of "empty query": its own time)`,
  ];

  const p95 = (s: Sighting) => figures(s, accepted).p95;
  const above = (value: number, target: number) => (value <= target ? '' : ': above target');
  const missing = (s: Sighting, what: string) => {
    const n = accepted.size - figures(s, accepted).seen;
    return n ? `; ${n} accepted facts never ${what}` : '';
  };
  const lastError = (...ss: Sighting[]) =>
    ss.map((s) => (s.lastError ? `; last ${s.name} error: ${s.lastError}` : '')).join('');
  const emptyP95 = emptyFigures(bigQuery.empty).p95;
  const bigQueryVisibleTarget = t.bigQueryVisible + emptyP95;
  const verdicts = [
    `lake visible p95 ${secs(p95(lake.visible))} (Kafka delivery p95 ${secs(p95(kafka))}; target ${t.lake} s)` +
      `${above(p95(lake.visible), t.lake)}; committed p95 ${secs(p95(lake.committed))}` +
      `${missing(lake.visible, 'seen')}${missing(lake.committed, 'committed')}${lastError(lake.visible, lake.committed, lake.empty)}`,
    `BigQuery committed p95 ${secs(p95(bigQuery.committed))} (target ${t.bigQueryCommitted} s)` +
      `${above(p95(bigQuery.committed), t.bigQueryCommitted)}${missing(bigQuery.committed, 'committed')}` +
      `${lastError(bigQuery.committed)}`,
    `BigQuery visible p95 ${secs(p95(bigQuery.visible))} (target ${t.bigQueryVisible} s + empty query p95 ` +
      `${secs(emptyP95)} = ${secs(bigQueryVisibleTarget)})${above(p95(bigQuery.visible), bigQueryVisibleTarget)}` +
      `${missing(bigQuery.visible, 'seen')}${lastError(bigQuery.visible, bigQuery.empty)}`,
  ];
  return [...lines, '', ...verdicts.map((v) => `  ${v}`)].join('\n');
}

/** A timestamp literal both DuckDB (UTC without zone) and BigQuery (UTC by default) read alike. */
export const timestampLiteral = (epochMs: number) =>
  `TIMESTAMP '${new Date(epochMs).toISOString().replace('T', ' ').replace('Z', '')}'`;

/** Rows received since then: none, so a query from it costs what any answer costs and no more. */
export const emptySinceMs = Date.UTC(2100, 0, 1);

/** The 202 of the oldest accepted id the sink has not shown yet, if any. */
export function oldestUnseen(s: Sighting, accepted: Map<string, number>): number | undefined {
  for (const [id, at] of accepted) if (!s.seen.has(id)) return at;
  return undefined;
}

/** The batching settings in force for the consumers (both sinks), as parsed from their environment. */
export function batchingSettings(p: Pipeline): string {
  const config = parseConfig(p.env) as Record<string, unknown>;
  return Object.entries(config)
    .filter(([name]) => /^LAKE_FILE_|^BIGQUERY_.*(BATCH|DEADLINE|FLUSH|MAX|AGE)/.test(name))
    .map(([name, value]) => `${name}=${String(value)}${name in p.options.env! ? ' (set by this run)' : ''}`)
    .join(', ');
}
