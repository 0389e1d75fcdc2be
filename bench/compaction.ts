// What compaction buys a reader, in a local folder and in a bucket (fake-gcs-server), and what the
// bucket costs the writer. Writes `--days` days of request traffic as the consumers leave it (many
// small files per day and table, through the real sink) to a local folder (the baseline) and to a
// bucket; times each write; then, per store, times a request_metrics query on a new connection
// (opening, which lists the files and reads their schemas, and the query alone; median of `--runs`),
// compacts every day into ~128 MiB files, and times the query again. The answers before and after
// (and local against bucket) must be identical, or the run fails without figures. Not a test.
//
//   npm run bench:compaction [-- --days 30 --files-per-day 24 --requests-per-file 10]
//
// Starts its own fake-gcs-server (127.0.0.1:29860, objects under .local/bench/compaction). A local
// emulator on the same machine is not a measure of GCS's latency: the bucket figures show the cost
// of going through the GCS API and DuckDB's httpfs, not of the network to Google.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startFakeGcs } from '../infra/gcs/fake-gcs.js';
import { localDir } from '../infra/local/paths.js';
import { compact } from '../services/lake/compaction.js';
import { currentFolder, openLake, openStore, type LakeStore } from '../services/lake/index.js';
import { requestTables, writeSmallFiles } from '../test/support/small-files.js';

const { values: args } = parseArgs({
  options: {
    days: { type: 'string', default: '30' },
    'files-per-day': { type: 'string', default: '24' },
    'requests-per-file': { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '8' },
    runs: { type: 'string', default: '3' },
  },
});
const filesPerDay = Number(args['files-per-day']);
const requestsPerFile = Number(args['requests-per-file']);
const runs = Number(args.runs);
const port = 29860;
const bucket = 'bench-lake';
const targetBytes = 128 * 1024 * 1024;
// Consecutive UTC days ending well before `before`, so every one is closed and compacted.
const days = Array.from({ length: Number(args.days) }, (_, i) =>
  new Date(Date.parse('2026-09-01T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10),
);
const before = '2026-11-01';
if (days.at(-1)! >= before)
  throw new Error(`--days: ${args.days} days from 2026-09-01 reach ${before}; give at most 61`);

// Per team and day of creation: every request's metrics, so a fact missed or repeated shows.
const metricsQuery = `
  SELECT team_id, CAST(created_at AS DATE) AS day, count(*) AS requests,
         sum(resolution_s) AS resolution_s, sum(first_response_s) AS first_response_s,
         sum(time_to_assign_s) AS time_to_assign_s, round(avg(csat_rating), 9) AS csat,
         sum(activity_count) AS activity, sum(reopen_count) AS reopens
  FROM request_metrics GROUP BY ALL ORDER BY ALL`;

interface Census {
  files: number;
  bytes: number;
}

interface Queried {
  /** Median ms of opening a connection plus the query, and of the query alone. */
  openAndQueryMs: number;
  queryMs: number;
  /** The query's answer and each base table's row count, as text to compare. */
  answer: string;
  rows: number;
}

interface StoreFigures {
  name: string;
  writeSeconds: number;
  written: Census;
  rows: number;
  before: Census & Queried;
  after: Census & Queried;
  compactSeconds: number;
}

const now = () => performance.now();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x));

/** The data files of every table's current generation now (compaction's manifests and hidden temp files aside). */
async function census(store: LakeStore): Promise<Census> {
  const listed = (
    await Promise.all(requestTables.map(async (t) => store.list((await currentFolder(store, t))!)))
  ).flat();
  const files = listed.filter((f) => !f.inProgress && /\/dt=[^/]+\/[^_./][^/]*\.parquet$/.test(f.key));
  return { files: files.length, bytes: files.reduce((n, f) => n + f.bytes, 0) };
}

/** Opens a new connection and runs the metrics query `runs` times; the answer from the last. */
async function timeQuery(store: LakeStore): Promise<Queried> {
  const total: number[] = [];
  const query: number[] = [];
  let answer = '';
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    const lake = await openLake(store);
    try {
      const t1 = now();
      const result = (await lake.runAndReadAll(metricsQuery)).getRowObjectsJS();
      const t2 = now();
      total.push(t2 - t0);
      query.push(t2 - t1);
      const counts: Record<string, number> = {};
      for (const t of requestTables) {
        counts[t.name] = Number(
          (await lake.runAndReadAll(`SELECT count(*) AS n FROM ${t.name}`)).getRowObjectsJS()[0]!.n,
        );
      }
      answer = json({ result, counts });
      rows = Object.values(counts).reduce((a, b) => a + b, 0);
    } finally {
      lake.closeSync();
    }
  }
  return { openAndQueryMs: median(total), queryMs: median(query), answer, rows };
}

/** Writes the traffic into `store`, queries, compacts, queries again; throws if the answers differ. */
async function measure(name: string, store: LakeStore): Promise<StoreFigures> {
  const say = (line: string) => process.stdout.write(`  ${name}: ${line}\n`);
  const t0 = now();
  await writeSmallFiles(store, { days, filesPerDay, requestsPerFile, concurrency: Number(args.concurrency) });
  const writeSeconds = (now() - t0) / 1000;
  const written = await census(store);
  say(`wrote ${written.files} files (${mb(written.bytes)}) in ${writeSeconds.toFixed(1)} s`);
  const beforeFigures = { ...written, ...(await timeQuery(store)) };
  say(`query before compaction: ${beforeFigures.openAndQueryMs.toFixed(0)} ms`);
  const t1 = now();
  const report = await compact({ store, tables: requestTables, before, targetBytes, graceMs: 0 });
  const compactSeconds = (now() - t1) / 1000;
  say(`compacted ${report.compacted.length} table-days in ${compactSeconds.toFixed(1)} s`);
  const afterFigures = { ...(await census(store)), ...(await timeQuery(store)) };
  if (afterFigures.answer !== beforeFigures.answer) {
    throw new Error(
      `${name}: the query's answer after compaction differs from before; no figures reported\n` +
        `  before: ${beforeFigures.answer.slice(0, 400)}\n  after:  ${afterFigures.answer.slice(0, 400)}`,
    );
  }
  return {
    name,
    writeSeconds,
    written,
    rows: beforeFigures.rows,
    before: beforeFigures,
    after: afterFigures,
    compactSeconds,
  };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pad = (s: string, n: number) => s.padStart(n);

function report(local: StoreFigures, gcs: StoreFigures): string {
  const requests = days.length * filesPerDay * requestsPerFile;
  const storeLine = (s: StoreFigures) =>
    `  ${s.name.padEnd(8)} ${pad(int(s.before.files), 7)} -> ${pad(int(s.after.files), 4)}  ` +
    `${pad(int(s.before.openAndQueryMs), 7)} -> ${pad(int(s.after.openAndQueryMs), 6)} ms ` +
    `(${pad((s.before.openAndQueryMs / s.after.openAndQueryMs).toFixed(1), 5)}x)  ` +
    `${pad(int(s.before.queryMs), 6)} -> ${pad(int(s.after.queryMs), 5)} ms ` +
    `(${pad((s.before.queryMs / s.after.queryMs).toFixed(1), 5)}x)  ${pad(s.compactSeconds.toFixed(1), 6)} s`;
  const rates = (s: StoreFigures) => ({
    rows: s.rows / s.writeSeconds,
    files: s.written.files / s.writeSeconds,
    mb: s.written.bytes / 1024 / 1024 / s.writeSeconds,
  });
  const writeLine = (s: StoreFigures) => {
    const r = rates(s);
    return (
      `  ${s.name.padEnd(8)} ${pad(s.writeSeconds.toFixed(1), 6)} s  ${pad(int(r.rows), 8)} rows/s  ` +
      `${pad(int(r.files), 6)} files/s  ${pad(r.mb.toFixed(2), 6)} MB/s`
    );
  };
  const [l, g] = [rates(local), rates(gcs)];
  const cpu = cpus();
  return [
    `\ncompaction benchmark: ${days.length} days (${days[0]}..${days.at(-1)}), ${filesPerDay} files/day/table x ` +
      `${requestTables.length} tables, ${requestsPerFile} requests (6 webhooks each) per file; ${int(requests)} requests, ` +
      `${int(local.rows)} rows, ${mb(local.written.bytes)}`,
    `\n  query: request_metrics per team and day; opening = new connection (listing + schemas); median of ${runs}; ` +
      `answers identical before/after and local/bucket`,
    `  store      files before -> after   open+query before -> after (speed-up)   query alone (speed-up)   compaction`,
    storeLine(local),
    storeLine(gcs),
    `\n  writer (small files through the sink, flattening included)`,
    writeLine(local),
    writeLine(gcs),
    `  bucket / local: ${(g.rows / l.rows).toFixed(2)} of the local rate (rows/s; files/s ${(g.files / l.files).toFixed(2)}, ` +
      `MB/s ${(g.mb / l.mb).toFixed(2)})`,
    `\n  machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}, node ${process.version}, ${new Date().toISOString()}\n\n`,
  ].join('\n');
}

async function main() {
  const dataDir = join(localDir, 'bench', 'compaction');
  const fakeGcs = await startFakeGcs({ dataDir, port, buckets: [bucket], fresh: true });
  const work = mkdtempSync(join(tmpdir(), 'thena-bench-compaction-'));
  try {
    const local = openStore({ kind: 'local', dir: join(work, 'lake') });
    const gcs = openStore(
      { kind: 'gcs', bucket, prefix: 'lake', endpoint: fakeGcs.endpoint },
      { scratchDir: join(work, 'scratch') },
    );
    process.stdout.write(`compaction benchmark: local folder ${join(work, 'lake')}, bucket gs://${bucket}/lake\n`);
    const localFigures = await measure('local', local);
    const gcsFigures = await measure('bucket', gcs);
    if (gcsFigures.before.answer !== localFigures.before.answer) {
      throw new Error('the bucket lake answers the query differently from the local one; no figures reported');
    }
    process.stdout.write(report(localFigures, gcsFigures));
  } finally {
    await fakeGcs.stop();
    await rm(join(dataDir, 'objects'), { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}

await main();
