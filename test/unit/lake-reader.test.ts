// A connection to the lake reads the files as they are at each query: files written after it
// opened are read, and a file removed meanwhile (a resumed consumer removing what it never
// committed, retention, a compaction's grace period ending) is not an error.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lakeFilePattern, openLake, openStore } from '../../services/lake/index.js';
import { requestEvents } from '../../tables/catalogue.js';
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
});
