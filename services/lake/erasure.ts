// Erasing one request's (or ticket's) rows from the lake, for a data-subject request: every file
// holding a row of it is replaced by a copy without those rows, with compaction's manifest
// protocol (visible.ts), so readers see the files before or after, never a mix, and a crash
// leaves the lake as it was or finished (`npm run compact` resumes a committed replacement; run
// the erasure again until it finds nothing).
import type { TableDefinition } from '../../schemas/table.js';
import { finish, groupByDay, mergeDay, type PendingRemoval } from './compaction.js';
import { openDuckDB, quote, selectDeclared } from './duckdb.js';
import { currentFolder } from './generations.js';
import type { LakeStore } from './store.js';
import { visibleFiles } from './visible.js';

export interface EraseOptions {
  store: LakeStore;
  tables: readonly TableDefinition[];
  /** The column naming the subject (request_id, ticket_id) and its value. */
  column: string;
  value: string;
  workspace: string;
  targetBytes: number;
  graceMs: number;
  dryRun?: boolean;
  say?: (line: string) => void;
}

export interface ErasedFrom {
  table: string;
  rows: number;
  files: number;
}

export async function eraseFromLake(o: EraseOptions): Promise<ErasedFrom[]> {
  const say = o.say ?? (() => undefined);
  const match = `${o.column} = ${quote(o.value)} AND workspace = ${quote(o.workspace)}`;
  const out: ErasedFrom[] = [];
  const pending: PendingRemoval[] = [];
  const duck = await openDuckDB(o.store);
  try {
    for (const table of o.tables.filter((t) => t.columns.some((c) => c.name === o.column))) {
      const folder = await currentFolder(o.store, table);
      const files = folder === undefined ? [] : await visibleFiles(o.store, folder);
      if (files.length === 0) continue;
      const select = await selectDeclared(
        duck,
        table,
        files.map((f) => o.store.url(f.key)),
        { withFilename: true },
      );
      const hits = (
        await duck.runAndReadAll(`SELECT filename, count(*) AS n FROM (${select}) WHERE ${match} GROUP BY filename`)
      ).getRowObjectsJS();
      const affected = files.filter((f) => hits.some((h) => h.filename === o.store.url(f.key)));
      const rows = hits.reduce((s, h) => s + Number(h.n), 0);
      out.push({ table: table.name, rows, files: affected.length });
      say(`${table.name}: ${rows} rows in ${affected.length} files${o.dryRun ? ' (dry run: left as they are)' : ''}`);
      if (o.dryRun) continue;
      for (const [day, inDay] of groupByDay(affected)) {
        const done = await mergeDay(duck, o, table, day, inDay, `NOT (${match})`);
        pending.push({ store: o.store, day, manifest: done.manifest, plan: done.plan, at: Date.now() });
      }
    }
  } finally {
    duck.closeSync();
  }
  await finish(pending, o.graceMs, say);
  return out;
}
