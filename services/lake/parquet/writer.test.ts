// The file's life cycle (hidden temp file, rename, clean-up on failure), row groups, and a
// 100,000-row round trip checked by DuckDB.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rejectedEvents, requestActivity } from '../../../tables/catalogue.js';
import { ParquetRowError } from './schema.js';
import { DEFAULT_ROW_GROUP_SIZE, tempFileTarget, tempPathFor, writeParquetFile } from './writer.js';

let root: string;
let dir: string;
let instance: DuckDBInstance;
let conn: DuckDBConnection;
let testNo = 0;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'parquet-writer-'));
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
});

beforeEach(() => {
  dir = join(root, `t${++testNo}`, 'request_activity', 'dt=2023-08-23');
});

afterAll(() => {
  conn.closeSync();
  instance.closeSync();
  rmSync(root, { recursive: true, force: true });
});

const query = async (sql: string): Promise<any[]> => (await conn.runAndReadAll(sql)).getRowObjectsJson();
const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
// The test paths hold dt=…; without this DuckDB would add a dt column from the path.
const scan = (path: string) => `read_parquet(${lit(path)}, hive_partitioning = false)`;
const count = async (path: string) => (await query(`SELECT count(*) AS n FROM ${scan(path)}`))[0].n;

const names = ['Ana', '😀 Priya', 'Ｊｏｈｎ', 'li.wei', null];
const activity = (i: number): Record<string, unknown> => ({
  event_id: `e${Math.floor(i / 20)}`,
  request_id: String(1000 + (i % 37)),
  event_time: 1_692_826_409_902_529n + BigInt(i),
  activity_index: i,
  activity_id: `a${i}`,
  activity_ts: i % 11 === 0 ? null : 1_692_826_409_000_000n + BigInt(i) * 1_000_003n,
  activity_ts_raw: null,
  user_id: `U${i % 97}`,
  user_name: names[i % names.length],
  text_html: `<p>reply ${i}</p>`,
  text_plain: i % 13 === 0 ? null : `reply ${i} ✓`,
});

describe('tempPathFor and tempFileTarget', () => {
  it('is hidden, beside the final file, and unique per call', () => {
    const a = tempPathFor('/lake/t/dt=2023-08-23/part-1.parquet');
    const b = tempPathFor('/lake/t/dt=2023-08-23/part-1.parquet');
    expect(dirname(a)).toBe('/lake/t/dt=2023-08-23');
    expect(basename(a)).toMatch(/^\.part-1\.parquet\..+\.tmp$/);
    expect(a).not.toBe(b);
  });

  it('can be traced back to the final name (for clean-up after a crash)', () => {
    const temp = basename(tempPathFor('/lake/t/dt=2023-08-23/p0-o00000000000000000042.parquet'));
    expect(tempFileTarget(temp)).toBe('p0-o00000000000000000042.parquet');
    expect(tempFileTarget('p0-o00000000000000000042.parquet')).toBeUndefined();
    expect(tempFileTarget('.p0-o00000000000000000042.parquet.tmp')).toBeUndefined();
  });
});

describe('writeParquetFile', () => {
  it('creates the directories and leaves only the final file', async () => {
    const path = join(dir, 'part-1.parquet');
    const result = await writeParquetFile(requestActivity, [activity(0), activity(1)], path);
    expect(readdirSync(dir)).toEqual(['part-1.parquet']);
    expect(result).toEqual({ rows: 2, bytes: readFileSync(path).length });
    expect(await count(path)).toBe('2');
  });

  it('replaces an existing file whole', async () => {
    const path = join(dir, 'part-1.parquet');
    await writeParquetFile(requestActivity, [activity(0)], path);
    await writeParquetFile(requestActivity, [activity(0), activity(1), activity(2)], path);
    expect(readdirSync(dir)).toEqual(['part-1.parquet']);
    expect(await count(path)).toBe('3');
  });

  it('writes an empty file DuckDB reads as zero rows', async () => {
    const path = join(dir, 'empty.parquet');
    await writeParquetFile(rejectedEvents, [], path);
    expect(await count(path)).toBe('0');
    const described = await query(`DESCRIBE SELECT * FROM ${scan(path)}`);
    expect(described.map((d) => d.column_name)).toEqual(rejectedEvents.columns.map((c) => c.name));
  });

  it('rejects a missing REQUIRED value naming the column, and leaves no file behind', async () => {
    const path = join(dir, 'part-1.parquet');
    const rows = [activity(0), activity(1), { ...activity(2), event_id: null }];
    const err = await writeParquetFile(requestActivity, rows, path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParquetRowError);
    expect((err as ParquetRowError).message).toBe(
      'request_activity row 2, column event_id: REQUIRED STRING but the row has null',
    );
    expect(err).toMatchObject({ table: 'request_activity', rowIndex: 2, column: 'event_id' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes the temp file when the failure comes after row groups were written', async () => {
    const path = join(dir, 'part-1.parquet');
    const rows = Array.from({ length: 2500 }, (_, i) => activity(i));
    delete rows[2400]!.activity_index;
    await expect(writeParquetFile(requestActivity, rows, path, { rowGroupSize: 500 })).rejects.toThrow(
      'request_activity row 2400, column activity_index: REQUIRED INT64 but the row has no value',
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps the previous file when a rewrite fails', async () => {
    const path = join(dir, 'part-1.parquet');
    await writeParquetFile(requestActivity, [activity(0)], path);
    const before = readFileSync(path);
    await expect(writeParquetFile(requestActivity, [activity(1), { ...activity(2), bogus: 1 }], path)).rejects.toThrow(
      'column bogus: the table declares no such column',
    );
    expect(readdirSync(dir)).toEqual(['part-1.parquet']);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('removes the temp file when the rename fails', async () => {
    const path = join(dir, 'taken');
    mkdirSync(join(path, 'child'), { recursive: true });
    await expect(writeParquetFile(requestActivity, [activity(0)], path)).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dir)).toEqual(['taken']);
  });

  it('does not touch other hidden files in the directory', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '.other.parquet.tmp'), 'someone else');
    await writeParquetFile(requestActivity, [activity(0)], join(dir, 'part-1.parquet'));
    expect(readdirSync(dir).sort()).toEqual(['.other.parquet.tmp', 'part-1.parquet']);
  });

  it('rejects a row group size that is not a positive integer', async () => {
    await expect(
      writeParquetFile(requestActivity, [activity(0)], join(dir, 'x.parquet'), { rowGroupSize: 0 }),
    ).rejects.toThrow('rowGroupSize: 0 is not a positive integer');
  });
});

const rowGroups = async (path: string) =>
  (
    await query(
      `SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(${lit(path)}) ORDER BY row_group_id`,
    )
  ).map((g) => Number(g.row_group_num_rows));

describe('row groups', () => {
  it('follow rowGroupSize', async () => {
    const path = join(dir, 'small-groups.parquet');
    await writeParquetFile(
      requestActivity,
      Array.from({ length: 2500 }, (_, i) => activity(i)),
      path,
      { rowGroupSize: 1000 },
    );
    expect(await rowGroups(path)).toEqual([1000, 1000, 500]);
  });

  it('default to 65,536 rows, and 100,000 rows round-trip their count and checksums', async () => {
    expect(DEFAULT_ROW_GROUP_SIZE).toBe(65_536);
    const rows = Array.from({ length: 100_000 }, (_, i) => activity(i));
    const path = join(dir, 'big.parquet');
    expect((await writeParquetFile(requestActivity, rows, path)).rows).toBe(100_000);
    expect(await rowGroups(path)).toEqual([65_536, 34_464]);

    const text = (v: unknown) => (v === null ? '∅' : String(v));
    const md5 = createHash('md5');
    rows.forEach((r, i) =>
      md5.update(`${i ? '|' : ''}${r.event_id}/${text(r.user_name)}/${text(r.text_plain)}/${text(r.activity_ts)}`),
    );
    let tsSum = 0n;
    let tsCount = 0;
    for (const r of rows) {
      if (typeof r.activity_ts !== 'bigint') continue;
      tsSum += r.activity_ts;
      tsCount += 1;
    }
    const [got] = await query(
      `SELECT count(*) AS n, sum(activity_index)::VARCHAR AS index_sum, count(activity_ts) AS ts_count,
                sum(epoch_us(activity_ts))::VARCHAR AS ts_sum, count(DISTINCT event_id) AS events,
                md5(string_agg(event_id || '/' || coalesce(user_name, '∅') || '/' || coalesce(text_plain, '∅') || '/' ||
                    coalesce(epoch_us(activity_ts)::VARCHAR, '∅'), '|' ORDER BY activity_index)) AS digest
         FROM ${scan(path)}`,
    );
    expect(got).toEqual({
      n: '100000',
      index_sum: String((99_999 * 100_000) / 2),
      ts_count: String(tsCount),
      ts_sum: String(tsSum),
      events: '5000',
      digest: md5.digest('hex'),
    });
  }, 120_000);
});
