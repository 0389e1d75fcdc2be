// A connection to the lake reads the files as they are at each query: files written after it
// opened are read, and a file removed meanwhile (a resumed consumer removing what it never
// committed, retention, a compaction's grace period ending) is not an error.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lakeFilePattern, openLake, openStore, readLake } from '../../services/lake/index.js';
import { requestEvents } from '../../tables/catalogue.js';
import type { TableDefinition } from '../../schemas/table.js';
import { writeSmallFiles } from '../support/small-files.js';

describe('a lake connection', () => {
  it('reads the files present at each query, not those listed when it opened', async () => {
    const store = openStore({ kind: 'local', dir: mkdtempSync(join(tmpdir(), 'reader-')) });
    const tables = [requestEvents];
    await writeSmallFiles(store, { days: ['2026-10-01'], filesPerDay: 3, requestsPerFile: 1, tables });
    const lake = await openLake(store, tables);
    const count = async () =>
      Number((await lake.runAndReadAll('SELECT count(*) FROM request_events')).getRowsJS()[0]![0]);
    expect(await count()).toBe(18);

    const files = (await store.list('_generations')).filter((f) => lakeFilePattern.test(f.key.split('/').pop()!));
    await store.remove(files[0]!.key);
    expect(await count()).toBe(12);
    await writeSmallFiles(store, { days: ['2026-10-02'], filesPerDay: 1, requestsPerFile: 1, tables, idDigit: 5 });
    expect(await count()).toBe(18);
    lake.closeSync();
  });

  it('reads a newly declared column from files written after it opened, none of the earlier ones having it', async () => {
    // A rebuild's new code ships a column: a connection opened before its first file lands must
    // read it from that file, not as NULL for ever (the rebuild test saw that, now and then).
    const store = openStore({ kind: 'local', dir: mkdtempSync(join(tmpdir(), 'reader-')) });
    const v2: TableDefinition = {
      ...requestEvents,
      columns: [...requestEvents.columns, { name: 'note', type: 'STRING', mode: 'NULLABLE', description: 'new' }],
      consumer: {
        ...requestEvents.consumer,
        flatten: (m) => {
          const out = requestEvents.consumer.flatten(m);
          return out.kind === 'rows' ? { ...out, rows: out.rows.map((r) => ({ ...r, note: 'filled' })) } : out;
        },
      },
    };
    await writeSmallFiles(store, { days: ['2026-10-01'], filesPerDay: 2, requestsPerFile: 1, tables: [requestEvents] });
    const lake = await openLake(store, [v2]);
    const notes = async () =>
      (await lake.runAndReadAll('SELECT count(*), count(note) FROM request_events')).getRowsJS()[0]!.map(Number);
    expect(await notes()).toEqual([12, 0]);
    await writeSmallFiles(store, {
      days: ['2026-10-02'],
      filesPerDay: 1,
      requestsPerFile: 1,
      tables: [v2],
      idDigit: 5,
    });
    expect(await notes()).toEqual([18, 6]);
    lake.closeSync();
  });

  it('reads again, after a pause, while files it listed keep vanishing (a compaction removing what it replaced)', async () => {
    const store = openStore({ kind: 'local', dir: mkdtempSync(join(tmpdir(), 'reader-')) });
    const tables = [requestEvents];
    await writeSmallFiles(store, { days: ['2026-10-01'], filesPerDay: 4, requestsPerFile: 1, tables });
    const files = (await store.list('_generations')).filter((f) => lakeFilePattern.test(f.key.split('/').pop()!));
    // Each try finds one more file gone, as a reader does in the middle of a removal.
    const tries: number[] = [];
    const rows = await readLake(
      store,
      async (lake) => {
        tries.push(Date.now());
        if (tries.length < 4) {
          await store.remove(files[tries.length - 1]!.key);
          throw new Error(`IO Error: Cannot open file "${files[tries.length - 1]!.key}": No such file or directory`);
        }
        return Number((await lake.runAndReadAll('SELECT count(*) FROM request_events')).getRowsJS()[0]![0]);
      },
      tables,
    );
    expect(tries).toHaveLength(4);
    expect(rows).toBe(6);
    // Spaced a quarter of a second, then a half, then a whole: not three tries within one removal.
    expect(tries[3]! - tries[0]!).toBeGreaterThanOrEqual(1_700);
    // Another error is not a vanished file: no second try.
    let other = 0;
    await expect(
      readLake(
        store,
        async () => {
          other++;
          throw new Error('Binder Error: no such column');
        },
        tables,
      ),
    ).rejects.toThrow('Binder Error');
    expect(other).toBe(1);
  });
});
