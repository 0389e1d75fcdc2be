// Raw Parquet writing speed: writeParquetFile (parquetjs-lite) against DuckDB writing the same
// request_activity rows in the same run (rows -> NDJSON -> read_json -> COPY ... (FORMAT parquet),
// serialisation included). Prints rows/s, file sizes and the ratios. Not a test.
//
//   npx tsx bench/parquet-raw.ts [-- --rows 200000]
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { requestActivity } from '../tables/catalogue.js';
import { writeParquetFile } from '../services/lake/parquet/writer.js';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '200000' } } });
const rowCount = Number(args.rows);

/** Rows shaped like a real feed: 20 activity items per event, HTML and text of a few hundred bytes. */
function activityRows(n: number): Record<string, unknown>[] {
  const names = ['Ana Lima', 'Zed Ødegård', '😀 Priya', 'Ｊｏｈｎ', 'li.wei'];
  const rows: Record<string, unknown>[] = [];
  const start = 1_692_826_409_902_529n;
  for (let i = 0; i < n; i++) {
    const event = Math.floor(i / 20);
    const ts = start + BigInt(i) * 1_000_003n;
    const body = `Reply ${i} about request ${event % 5000}: the export still fails after the retry, see log line ${i * 7}.`;
    rows.push({
      event_id: (event * 2654435761).toString(16).padStart(32, '0').slice(-32),
      request_id: String(100_000 + (event % 5000)),
      event_time: start + BigInt(event) * 60_000_000n,
      activity_index: i % 20,
      activity_id: `act-${i}`,
      activity_ts: i % 50 === 0 ? null : ts,
      activity_ts_raw: `${ts / 1_000_000n}.${String(ts % 1_000_000n).padStart(6, '0')}`,
      user_id: `U${(i % 97).toString().padStart(8, '0')}`,
      user_name: names[i % names.length],
      text_html: `<p>${body}</p><p><b>Thanks</b>,<br>${names[i % names.length]}</p>`,
      text_plain: `${body}\n\nThanks,\n${names[i % names.length]}`,
    });
  }
  return rows;
}

/** The NDJSON DuckDB reads: timestamps as integer microseconds, which JSON.stringify cannot write from a bigint. */
function toNdjson(rows: Record<string, unknown>[]): string {
  return rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))).join('\n');
}

const ndjsonColumns = requestActivity.columns
  .map((c) => `${c.name}: '${c.type === 'STRING' ? 'VARCHAR' : 'BIGINT'}'`)
  .join(', ');
const selectList = requestActivity.columns
  .map((c) => (c.type === 'TIMESTAMP' ? `make_timestamp(${c.name}) AS ${c.name}` : c.name))
  .join(', ');

async function timed<T>(run: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const t0 = process.hrtime.bigint();
  const result = await run();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, result };
}

const dir = await mkdtemp(join(tmpdir(), 'parquet-bench-'));
try {
  const rows = activityRows(rowCount);
  const duckdb = await DuckDBInstance.create(':memory:');
  const conn = await duckdb.connect();
  const figures: { name: string; seconds: number; bytes: number }[] = [];

  // Warm the JIT first: otherwise whichever variant runs first looks slower.
  await writeParquetFile(requestActivity, rows.slice(0, 20_000), join(dir, 'warm-up.parquet'));

  for (const compression of ['UNCOMPRESSED', 'SNAPPY'] as const) {
    const path = join(dir, `parquetjs-${compression}.parquet`);
    const { seconds, result } = await timed(() => writeParquetFile(requestActivity, rows, path, { compression }));
    figures.push({ name: `writeParquetFile (parquetjs-lite, ${compression})`, seconds, bytes: result.bytes });
  }

  const duckPath = join(dir, 'duckdb.parquet');
  const { seconds } = await timed(async () => {
    const jsonPath = join(dir, 'rows.ndjson');
    await writeFile(jsonPath, toNdjson(rows));
    await conn.run(
      `COPY (SELECT ${selectList} FROM read_json('${jsonPath}', format = 'newline_delimited', columns = {${ndjsonColumns}}))
       TO '${duckPath}' (FORMAT parquet)`,
    );
  });
  figures.push({ name: 'DuckDB NDJSON -> read_json -> COPY (SNAPPY)', seconds, bytes: (await stat(duckPath)).size });

  const baseline = rowCount / seconds;
  console.log(`${rowCount} request_activity rows, Node ${process.version}`);
  for (const f of figures) {
    const rps = rowCount / f.seconds;
    console.log(
      `${f.name.padEnd(48)} ${Math.round(rps).toString().padStart(8)} rows/s  ` +
        `${(f.bytes / 1e6).toFixed(1).padStart(6)} MB  ÷ DuckDB ${(rps / baseline).toFixed(2)}`,
    );
  }
  conn.closeSync();
  duckdb.closeSync();
} finally {
  await rm(dir, { recursive: true, force: true });
}
