// Golden tests: files written by writeParquetFile, read back by DuckDB. Each block pins one
// parquetjs-lite default we configure around; the first shows those defaults do lose data, so
// the checks below would catch a regression.
import { readFile, writeFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import parquet from 'parquetjs-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TableDeclaration } from '../../../schemas/table.js';
import { requestActivity, requestEvents, catalogue as tables } from '../../../tables/catalogue.js';
import { writeParquetFile } from './writer.js';

let dir: string;
let instance: DuckDBInstance;
let conn: DuckDBConnection;
let fileNo = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parquet-duckdb-'));
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
});

afterAll(() => {
  conn.closeSync();
  instance.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

const query = async (sql: string): Promise<any[]> => (await conn.runAndReadAll(sql)).getRowObjectsJson();
const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
const nextPath = () => join(dir, `f${++fileNo}.parquet`);

async function write(table: TableDeclaration, rows: Record<string, unknown>[], rowGroupSize?: number) {
  const path = nextPath();
  await writeParquetFile(table, rows, path, rowGroupSize === undefined ? {} : { rowGroupSize });
  return path;
}

const activity = (i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  event_id: `e${i}`,
  request_id: 'r1',
  event_time: 1_692_826_409_902_529n,
  activity_index: i,
  ...overrides,
});

const event = (i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  event_id: `e${i}`,
  request_id: 'r1',
  event_time: 1_692_826_409_902_529n,
  action: 'UPDATE',
  received_at: 1_692_826_409_902_529n,
  payload_json: '{}',
  ...overrides,
});

// Sorted by UTF-16 code units the emoji come before the fullwidth letters; by UTF-8 bytes (Parquet's
// order, and DuckDB's) they come last. The counts differ so a partial match cannot pass.
const mixedNames: [string, number][] = [
  ['😀 ana', 3],
  ['🎉 zed', 2],
  ['Ａｂｃ', 4],
  ['ｚ', 1],
  ['abc', 5],
  ['zzz', 2],
  ['é', 1],
];
const mixedRows = () =>
  [...mixedNames.flatMap(([name, n]) => Array.from({ length: n }, () => name)), null].map((user_name, i) =>
    activity(i, { user_name }),
  );

describe('parquetjs-lite defaults (control)', () => {
  it('lose emoji rows to string statistics, read NULL lists as [] and write V2 pages', async () => {
    const path = nextPath();
    const chunks: Buffer[] = [];
    const schema = new parquet.ParquetSchema({
      user_name: { type: 'UTF8', optional: true },
      tags: { type: 'UTF8', repeated: true },
    });
    const writer = new parquet.ParquetWriter(
      schema,
      // The same construction ParquetWriter.openFile does, with its defaults, into memory.
      new parquet.ParquetEnvelopeWriter(
        schema,
        async (b) => void chunks.push(b),
        async () => undefined,
        0,
        {},
      ),
      {},
    );
    for (const r of mixedRows()) await writer.appendRow({ user_name: r.user_name, tags: null });
    await writer.close();
    await writeFile(path, Buffer.concat(chunks));

    const [emoji] = await query(`SELECT count(*) AS n FROM read_parquet(${lit(path)}) WHERE user_name = '😀 ana'`);
    expect(emoji.n).toBe('0');
    const [nulls] = await query(`SELECT count(*) AS n FROM read_parquet(${lit(path)}) WHERE tags IS NULL`);
    expect(nulls.n).toBe('0');
    expect(await firstPageTypes(path)).toContain('DATA_PAGE_V2');
  });
});

describe('STRING columns', () => {
  it('finds every value, emoji and fullwidth included, in one row group', async () => {
    const path = await write(requestActivity, mixedRows());
    const [meta] = await query(`SELECT count(DISTINCT row_group_id) AS groups FROM parquet_metadata(${lit(path)})`);
    expect(meta.groups).toBe('1');
    for (const [name, n] of mixedNames) {
      const [row] = await query(`SELECT count(*) AS n FROM read_parquet(${lit(path)}) WHERE user_name = ${lit(name)}`);
      expect({ name, n: Number(row.n) }).toEqual({ name, n });
    }
    const [emoji] = await query(`SELECT count(*) AS n FROM read_parquet(${lit(path)}) WHERE user_name > 'ｚ'`);
    expect(emoji.n).toBe('5');
    const [nulls] = await query(`SELECT count(*) AS n FROM read_parquet(${lit(path)}) WHERE user_name IS NULL`);
    expect(nulls.n).toBe('1');
  });

  it('writes no min/max statistics for strings', async () => {
    const path = await write(requestActivity, mixedRows());
    const rows = await query(
      `SELECT path_in_schema, stats_min_value, stats_max_value, stats_min, stats_max
       FROM parquet_metadata(${lit(path)}) WHERE type = 'BYTE_ARRAY'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect([r.stats_min_value, r.stats_max_value, r.stats_min, r.stats_max]).toEqual([null, null, null, null]);
    }
  });
});

describe('REPEATED STRING columns', () => {
  it('read back as VARCHAR[] keeping NULL apart from []', async () => {
    const tags = [['a', 'b'], [], null, ['😀', 'Ａ', ''], ['x']];
    const path = await write(
      requestEvents,
      tags.map((ai_tags, i) => event(i, { ai_tags })),
    );
    const rows = await query(
      `SELECT ai_tags, typeof(ai_tags) AS t, ai_tags IS NULL AS is_null FROM read_parquet(${lit(path)})`,
    );
    expect(rows.map((r) => r.ai_tags)).toEqual(tags);
    expect(rows.map((r) => r.is_null)).toEqual([false, false, true, false, false]);
    expect(new Set(rows.map((r) => r.t))).toEqual(new Set(['VARCHAR[]']));
    const [counts] = await query(
      `SELECT count(*) FILTER (WHERE ai_tags IS NULL) AS nulls, count(*) FILTER (WHERE len(ai_tags) = 0) AS empties,
              count(*) FILTER (WHERE list_contains(ai_tags, '😀')) AS emoji
       FROM read_parquet(${lit(path)})`,
    );
    expect(counts).toEqual({ nulls: '1', empties: '1', emoji: '1' });
  });

  it('is the standard three-level LIST in the file schema', async () => {
    const path = await write(requestEvents, [event(0, { ai_tags: ['a'] })]);
    const elements = await query(
      `SELECT name, repetition_type, converted_type FROM parquet_schema(${lit(path)})
       WHERE name IN ('ai_tags', 'truncated_columns', 'payload_drift', 'list', 'element')`,
    );
    const list = (name: string) => [
      { name, repetition_type: 'OPTIONAL', converted_type: 'LIST' },
      { name: 'list', repetition_type: 'REPEATED', converted_type: null },
      { name: 'element', repetition_type: 'OPTIONAL', converted_type: 'UTF8' },
    ];
    expect(elements).toEqual([...list('truncated_columns'), ...list('ai_tags'), ...list('payload_drift')]);
  });
});

describe('TIMESTAMP, INT64 and BOOL columns', () => {
  const micros = [
    -999_999n, // 1969-12-31 23:59:59.000001
    -1n,
    0n,
    1_692_826_409_902_529n,
    BigInt(Number.MAX_SAFE_INTEGER),
    -BigInt(Number.MAX_SAFE_INTEGER),
  ];

  it('round-trip timestamps exactly, before 1970 too, as TIMESTAMP', async () => {
    const path = await write(
      requestActivity,
      micros.map((activity_ts, i) => activity(i, { activity_ts })),
    );
    const rows = await query(
      `SELECT epoch_us(activity_ts)::VARCHAR AS us, activity_ts::VARCHAR AS text, typeof(activity_ts) AS t
       FROM read_parquet(${lit(path)}) ORDER BY activity_index`,
    );
    expect(rows.map((r) => r.us)).toEqual(micros.map(String));
    expect(rows[0].text).toBe('1969-12-31 23:59:59.000001');
    expect(rows[3].text).toBe('2023-08-23 21:33:29.902529');
    expect(rows[0].t).toBe('TIMESTAMP');
  });

  it('round-trip INT64 as BIGINT and BOOL as BOOLEAN', async () => {
    const values = [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 0, -5, null];
    const bools = [true, false, null, true, false];
    const path = await write(
      requestEvents,
      values.map((reply_count, i) => event(i, { reply_count, is_private_channel: bools[i] })),
    );
    const rows = await query(
      `SELECT reply_count::VARCHAR AS n, typeof(reply_count) AS nt, is_private_channel AS b, typeof(is_private_channel) AS bt
       FROM read_parquet(${lit(path)})`,
    );
    expect(rows.map((r) => r.n)).toEqual(values.map((v) => (v === null ? null : String(v))));
    expect(rows.map((r) => r.b)).toEqual(bools);
    expect([rows[0].nt, rows[0].bt]).toEqual(['BIGINT', 'BOOLEAN']);
  });

  // These columns keep parquetjs-lite's statistics (signed order is right for them); filters across
  // row groups must still find every row, negative timestamps included.
  it('keep statistics DuckDB can filter on across row groups', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) =>
      activity(i - 500, {
        activity_ts: BigInt(i - 500) * 3_600_000_000n,
        activity_id: i % 3 === 0 ? null : `a${i}`,
      }),
    );
    const eventRows = Array.from({ length: 1000 }, (_, i) =>
      event(i, { is_private_channel: i % 7 === 0 ? true : i % 7 === 1 ? null : false, reply_count: i - 500 }),
    );
    const path = await write(requestActivity, rows, 100);
    const eventsPath = await write(requestEvents, eventRows, 100);
    const [a] = await query(
      `SELECT count(*) FILTER (WHERE activity_ts < TIMESTAMP '1970-01-01') AS before_epoch,
              count(*) FILTER (WHERE activity_ts BETWEEN TIMESTAMP '1969-12-31 20:00:00' AND TIMESTAMP '1970-01-01 03:00:00') AS around,
              count(*) FILTER (WHERE activity_index = -500) AS first, count(*) FILTER (WHERE activity_index > 490) AS last
       FROM read_parquet(${lit(path)})`,
    );
    expect(a).toEqual({ before_epoch: '500', around: '8', first: '1', last: '9' });
    const [e] = await query(
      `SELECT count(*) FILTER (WHERE is_private_channel) AS yes, count(*) FILTER (WHERE NOT is_private_channel) AS no,
              count(*) FILTER (WHERE reply_count < -400) AS low
       FROM read_parquet(${lit(eventsPath)})`,
    );
    expect(e).toEqual({ yes: '143', no: '714', low: '100' });
    // Also through the scan's own filter pushdown rather than FILTER clauses.
    const [pushed] = await query(
      `SELECT count(*) AS n FROM read_parquet(${lit(path)}) WHERE activity_ts < TIMESTAMP '1970-01-01'`,
    );
    expect(pushed.n).toBe('500');
  });
});

const duckdbType = { STRING: 'VARCHAR', INT64: 'BIGINT', TIMESTAMP: 'TIMESTAMP', BOOL: 'BOOLEAN' } as const;

function sampleRow(table: TableDeclaration, full: boolean): Record<string, unknown> {
  const sample = { STRING: 'é 😀 Ａ', INT64: 42, TIMESTAMP: 1_692_826_409_902_529n, BOOL: true } as const;
  const row: Record<string, unknown> = {};
  for (const c of table.columns) {
    if (!full && c.mode !== 'REQUIRED') continue;
    row[c.name] = c.mode === 'REPEATED' ? [sample[c.type], sample[c.type]] : sample[c.type];
  }
  return row;
}

describe.each(tables.map((t) => [t.name, t] as const))('table %s', (_name, table) => {
  it('reads back with the declared column names, order, types and modes', async () => {
    const path = await write(table, [sampleRow(table, true), sampleRow(table, false)]);
    const described = await query(`DESCRIBE SELECT * FROM read_parquet(${lit(path)})`);
    expect(described.map((d) => [d.column_name, d.column_type])).toEqual(
      table.columns.map((c) => [c.name, c.mode === 'REPEATED' ? `${duckdbType[c.type]}[]` : duckdbType[c.type]]),
    );
    const top = await query(
      `SELECT name, repetition_type FROM parquet_schema(${lit(path)}) WHERE name NOT IN ('root', 'list', 'element')`,
    );
    expect(top).toEqual(
      table.columns.map((c) => ({ name: c.name, repetition_type: c.mode === 'REQUIRED' ? 'REQUIRED' : 'OPTIONAL' })),
    );
    const [counts] = await query(
      `SELECT count(*) AS n, ${table.columns.map((c, i) => `count(${c.name}) AS c${i}`).join(', ')} FROM read_parquet(${lit(path)})`,
    );
    expect(counts.n).toBe('2');
    table.columns.forEach((c, i) =>
      expect([c.name, counts[`c${i}`]]).toEqual([c.name, c.mode === 'REQUIRED' ? '2' : '1']),
    );
  });
});

/** The type of the first page of every column chunk, read from the page header's thrift bytes. */
async function firstPageTypes(path: string): Promise<string[]> {
  const file = await readFile(path);
  const chunks = await query(`SELECT data_page_offset FROM parquet_metadata(${lit(path)})`);
  // PageHeader field 1 (type, i32) in compact protocol: 0x15, then the zigzag varint of the enum.
  const names: Record<number, string> = { 0: 'DATA_PAGE', 6: 'DATA_PAGE_V2' };
  return chunks.map((c) => {
    const at = Number(c.data_page_offset);
    expect(file[at]).toBe(0x15);
    return names[file[at + 1]!] ?? `unknown ${file[at + 1]}`;
  });
}

describe('pages', () => {
  it('are data pages V1 in every column chunk', async () => {
    const path = await write(requestEvents, [event(0, { ai_tags: ['a'], reply_count: 1 }), event(1)]);
    const types = await firstPageTypes(path);
    expect(types.length).toBe(requestEvents.columns.length);
    expect(new Set(types)).toEqual(new Set(['DATA_PAGE']));
  });
});
