// Compaction of closed days, with the lake in a local folder and in a bucket (fake-gcs-server):
// readers querying every 200 ms while it runs see each fact once, never missing, in the views and
// in the base tables; a compaction SIGKILLed midway and run again leaves the same facts, in a few
// large files per day; late files in a compacted day are read beside the merged ones.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { startProcess } from '../../infra/local/process.js';
import { compact } from '../../services/lake/compaction.js';
import { currentFolder, describeLocation, openStore, readLake, type LakeStore } from '../../services/lake/index.js';
import { factViews, factsInViews } from '../support/accounting.js';
import { requestTables, writeSmallFiles } from '../support/small-files.js';
import { uniqueName, waitFor } from '../support/wait.js';
import { serviceArgs } from '../support/build.js';

const days = ['2026-10-01', '2026-10-02', '2026-10-03'];
const filesPerDay = 12;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Snapshot {
  /** Fact keys per fact view, sorted, with repeats. */
  views: Record<string, string[]>;
  /** Rows per base table. */
  base: Record<string, number>;
}

async function snapshot(store: LakeStore): Promise<Snapshot> {
  return readLake(store, async (lake) => {
    const read = async (sql: string) => (await lake.runAndReadAll(sql)).getRowObjectsJS();
    const views = await factsInViews(factViews, read);
    for (const v of Object.values(views)) v.sort();
    const base: Record<string, number> = {};
    for (const t of requestTables) base[t.name] = Number((await read(`SELECT count(*) AS n FROM ${t.name}`))[0]!.n);
    return { views, base };
  });
}

/** Data files per table and day, and compaction manifests, in the lake now. */
async function census(store: LakeStore): Promise<{ files: Map<string, number>; manifests: number }> {
  const files = new Map<string, number>();
  let manifests = 0;
  for (const t of requestTables) {
    for (const f of await store.list((await currentFolder(store, t))!)) {
      const m = /(dt=[^/]+)\/([^/]+)$/.exec(f.key);
      if (!m || f.inProgress) continue;
      if (m[2]!.startsWith('_compacting-')) manifests++;
      else if (m[2]!.endsWith('.parquet')) files.set(`${t.name}/${m[1]}`, (files.get(`${t.name}/${m[1]}`) ?? 0) + 1);
    }
  }
  return { files, manifests };
}

describe.each([
  ['a local folder', false],
  ['a bucket on fake-gcs-server', true],
])('compaction of a lake in %s', (_, inBucket) => {
  let env: Record<string, string>;
  const fresh = async (): Promise<LakeStore> => {
    const dir = mkdtempSync(join(tmpdir(), 'compaction-'));
    const lakeDir = inBucket ? `gs://${inject('gcsBucket')}/${uniqueName('compaction')}` : join(dir, 'lake');
    env = {
      LAKE_DIR: lakeDir,
      GCS_API_ENDPOINT: inject('gcsEndpoint'),
      LAKE_SCRATCH_DIR: join(dir, 'scratch'),
      LAKE_COMPACT_GRACE_SECONDS: '3',
    };
    const store = openStore(
      inBucket
        ? {
            kind: 'gcs',
            bucket: inject('gcsBucket'),
            prefix: lakeDir.split('/').slice(3).join('/'),
            endpoint: inject('gcsEndpoint'),
          }
        : { kind: 'local', dir: lakeDir },
      { scratchDir: env.LAKE_SCRATCH_DIR },
    );
    await writeSmallFiles(store, { days, filesPerDay, requestsPerFile: 3 });
    return store;
  };

  let store: LakeStore;
  let before: Snapshot;
  beforeAll(async () => {
    store = await fresh();
    before = await snapshot(store);
  });

  it('keeps every fact exactly once for readers querying every 200 ms throughout', async () => {
    // The written lake: each fact once, and one base row per fact (no repeats to hide).
    for (const [view, keys] of Object.entries(before.views)) {
      expect(keys.length, view).toBeGreaterThan(0);
      expect(new Set(keys).size, view).toBe(keys.length);
    }
    expect((await census(store)).files.get(`request_events/dt=${days[0]}`)).toBe(filesPerDay);

    let done = false;
    const running = compact({
      store,
      tables: requestTables,
      before: '2026-11-01',
      targetBytes: 128 * 1024 * 1024,
      // Longer than any one read below takes: a reader is promised the files it planned with for
      // the grace period (docs/lake.md).
      graceMs: 8_000,
    }).finally(() => (done = true));
    let reads = 0;
    let readsWithManifests = 0;
    while (!done) {
      const { manifests } = await census(store);
      const now = await snapshot(store);
      expect(now).toEqual(before);
      reads++;
      if (manifests > 0) readsWithManifests++;
      await sleep(200);
    }
    const report = await running;
    // The readers saw the lake while compaction's manifests were in it (merged files committed,
    // small ones not yet removed), not only before and after.
    expect(readsWithManifests).toBeGreaterThan(3);
    expect(reads).toBeGreaterThan(readsWithManifests);
    expect(report.compacted).toHaveLength(days.length * requestTables.length);
    expect(await snapshot(store)).toEqual(before);
    const { files, manifests } = await census(store);
    expect(manifests).toBe(0);
    for (const t of requestTables)
      for (const d of days) expect(files.get(`${t.name}/dt=${d}`), `${t.name} ${d}`).toBe(1);
  });

  it('reads late files of a compacted day beside the merged one, and merges them on the next run', async () => {
    // Late events for the first day (a backfill, say) after it was compacted.
    const late = openStore(store.location, { scratchDir: join(tmpdir(), uniqueName('late')) });
    const lateDir = mkdtempSync(join(tmpdir(), 'late-'));
    const extra = openStore(
      store.location.kind === 'gcs'
        ? { ...store.location, prefix: `${store.location.prefix}-late` }
        : { kind: 'local', dir: lateDir },
    );
    await writeSmallFiles(extra, { days: [days[0]!], filesPerDay: 2, requestsPerFile: 2, idDigit: 9 });
    const lateFacts = await snapshot(extra);
    // The same small files, moved into the compacted lake's first day.
    for (const t of requestTables) {
      for (const f of await extra.list((await currentFolder(extra, t))!)) {
        if (!f.key.endsWith('.parquet')) continue;
        await copyBetween(extra, late, f.key, f.key.replace(/\/([^/]+)$/, '/late-$1'));
      }
    }
    const merged = await snapshot(store);
    for (const [view, keys] of Object.entries(merged.views)) {
      expect(keys, view).toEqual([...before.views[view]!, ...lateFacts.views[view]!].sort());
    }
    await compact({ store, tables: requestTables, before: '2026-11-01', targetBytes: 128 * 1024 * 1024, graceMs: 0 });
    expect(await snapshot(store)).toEqual(merged);
    expect((await census(store)).files.get(`request_events/dt=${days[0]}`)).toBe(1);
  });

  it('finishes a compaction SIGKILLed midway, twice, with the same facts', async () => {
    const killed = await fresh();
    const start = await snapshot(killed);
    const run = (name: string) =>
      startProcess({
        name,
        command: process.execPath,
        args: [...serviceArgs('lake/compact-cli.ts'), '--before', '2026-11-01'],
        env,
        logFile: join(tmpdir(), `${uniqueName(name)}.log`),
      });
    // Killed as soon as a manifest appears (merged files on their way up), then while waiting out
    // the grace period with every day committed.
    const first = run('compact-1');
    await waitFor('a compaction manifest', async () => (await census(killed)).manifests > 0, 60_000, 20);
    await first.kill();
    expect(await snapshot(killed)).toEqual(start);
    const second = run('compact-2');
    await waitFor(
      'every day committed',
      async () => (await census(killed)).manifests === days.length * requestTables.length,
      60_000,
      50,
    );
    await second.kill();
    expect(await snapshot(killed)).toEqual(start);
    const third = run('compact-3');
    expect(await third.exited).toBe(0);
    expect(await snapshot(killed)).toEqual(start);
    const { files, manifests } = await census(killed);
    expect(manifests).toBe(0);
    for (const t of requestTables)
      for (const d of days) expect(files.get(`${t.name}/dt=${d}`), `${t.name} ${d}`).toBe(1);
    expect(describeLocation(killed.location)).toBe(env.LAKE_DIR);
  });
});

/** Copies one object or file from one store to another through a local file. */
async function copyBetween(from: LakeStore, to: LakeStore, key: string, target: string): Promise<void> {
  const { copyFile } = await import('node:fs/promises');
  const local = join(mkdtempSync(join(tmpdir(), 'copy-')), 'f.parquet');
  if (from.location.kind === 'local') await copyFile(from.url(key), local);
  else {
    const { gcsBucket } = await import('../../services/lake/stores/gcs.js');
    await (await gcsBucket(from.location)).file(`${from.location.prefix}/${key}`).download({ destination: local });
  }
  await to.publishFile(local, target);
}
