// Retention: `compact` with LAKE_RETENTION_DAYS removes whole day folders past it, in every table,
// and nothing else; a dry run only reports them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compact, daysBefore } from '../../services/lake/compaction.js';
import { openLake, openStore } from '../../services/lake/index.js';
import { requestEvents, requestCsat } from '../../tables/catalogue.js';
import { writeSmallFiles } from '../support/small-files.js';

describe('lake retention', () => {
  it('removes the day folders older than the retention, and only those', async () => {
    const store = openStore({ kind: 'local', dir: mkdtempSync(join(tmpdir(), 'retention-')) });
    const tables = [requestEvents, requestCsat];
    await writeSmallFiles(store, {
      days: ['2026-01-01', '2026-06-01', '2026-11-20'],
      filesPerDay: 2,
      requestsPerFile: 1,
      tables,
    });
    const days = async () => {
      const lake = await openLake(store, tables);
      const sql = "SELECT DISTINCT strftime(event_time, '%Y-%m-%d') AS d FROM request_events ORDER BY d";
      const out = (await lake.runAndReadAll(sql)).getRowsJS().map((r) => r[0]);
      lake.closeSync();
      return out;
    };
    expect(await days()).toEqual(['2026-01-01', '2026-06-01', '2026-11-20']);
    const removeBefore = daysBefore(new Date('2026-11-29T12:00:00Z'), 180);
    expect(removeBefore).toBe('2026-06-02');
    const options = { store, tables, before: '2000-01-01', targetBytes: 1 << 20, graceMs: 0, removeBefore };

    const dry = await compact({ ...options, dryRun: true });
    expect(dry.expired.sort()).toEqual([
      'request_csat/dt=2026-01-01',
      'request_csat/dt=2026-06-01',
      'request_events/dt=2026-01-01',
      'request_events/dt=2026-06-01',
    ]);
    expect(await days()).toEqual(['2026-01-01', '2026-06-01', '2026-11-20']);

    const done = await compact(options);
    expect(done.expired).toHaveLength(4);
    expect(await days()).toEqual(['2026-11-20']);
    const keys = (await store.list('_generations')).map((f) => f.key);
    expect(keys.filter((k) => k.includes('dt=2026-0'))).toEqual([]);
    expect(keys.filter((k) => k.includes('dt=2026-11-20') && k.endsWith('.parquet'))).toHaveLength(4);
  });
});
