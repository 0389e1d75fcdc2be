import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rejectedEvents } from '../../tables/catalogue.js';
import type { Row } from '../../schemas/flattener.js';
import { lakeFilePattern, parquetSink } from './sink.js';

const day = '2026-11-20';
const row = (offset: number): Row => ({
  received_at: BigInt(Date.parse(`${day}T10:00:00Z`)) * 1000n,
  source: 'ingress',
  reason: 'test',
  details_json: null,
  raw_body: null,
  origin_topic: null,
  origin_partition: null,
  origin_offset: null,
  dlq_partition: 0,
  dlq_offset: String(offset),
});
const batch = (first: number, last: number) => ({
  partition: 0,
  firstOffset: String(first),
  lastOffset: String(last),
  rows: Array.from({ length: last - first + 1 }, (_, i) => row(first + i)),
});

describe('parquet sink', () => {
  it('names files by partition, first offset and writer, so two writers of one partition never collide', async () => {
    const lakeDir = mkdtempSync(join(tmpdir(), 'sink-'));
    const a = parquetSink({ lakeDir, table: rejectedEvents, writerId: 'aaaaaaaa' });
    const b = parquetSink({ lakeDir, table: rejectedEvents, writerId: 'bbbbbbbb' });
    // A stalled instance finishing a batch the partition's new owner also wrote: both files stay.
    await a.writeBatch(batch(10, 19));
    await b.writeBatch(batch(10, 24));
    const dir = join(lakeDir, 'rejected_events', `dt=${day}`);
    expect(readdirSync(dir).sort()).toEqual([
      'p0-o00000000000000000010-aaaaaaaa.parquet',
      'p0-o00000000000000000010-bbbbbbbb.parquet',
    ]);
    for (const f of readdirSync(dir)) expect(f).toMatch(lakeFilePattern);

    // discard removes only the writer's own file.
    await a.discard(batch(10, 19));
    expect(readdirSync(dir)).toEqual(['p0-o00000000000000000010-bbbbbbbb.parquet']);
  });

  it('prepare removes every writer’s files at or past the resume offset and keeps earlier ones', async () => {
    const lakeDir = mkdtempSync(join(tmpdir(), 'sink-'));
    const a = parquetSink({ lakeDir, table: rejectedEvents, writerId: 'aaaaaaaa' });
    const b = parquetSink({ lakeDir, table: rejectedEvents, writerId: 'bbbbbbbb' });
    await a.writeBatch(batch(0, 9));
    await a.writeBatch(batch(10, 19));
    await b.writeBatch(batch(20, 29));
    await b.prepare(0, '10');
    expect(readdirSync(join(lakeDir, 'rejected_events', `dt=${day}`))).toEqual([
      'p0-o00000000000000000000-aaaaaaaa.parquet',
    ]);
  });

  it('still recognises files named before writer ids were added', () => {
    expect('p3-o00000000000000000042.parquet').toMatch(lakeFilePattern);
    expect('p3-o00000000000000000042-zz.parquet').not.toMatch(lakeFilePattern);
  });
});
