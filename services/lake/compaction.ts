// Compaction and retention of the lake. The consumers roll a file per partition every few seconds
// under load; compaction merges each closed day's small files into a few large ones (about
// LAKE_COMPACT_TARGET_MB each), and retention removes day folders past LAKE_RETENTION_DAYS.
//
// A day is replaced without a moment in which a reader misses or repeats a fact: the merged files
// are written first and hidden, a manifest then trades them for the small ones in one write, and
// the small ones are removed only after a grace period (the protocol and the reader's side are in
// visible.ts). Every step can be cut short by a crash; the next run finds the manifest and
// finishes or undoes what it describes. Run one compaction at a time per lake.
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TableDefinition } from '../../schemas/table.js';
import { openDuckDB, selectDeclared } from './duckdb.js';
import { currentFolder } from './generations.js';
import { keyOf, type LakeStore, type StoredFile } from './store.js';
import { manifestName, outputName, type CompactionManifest } from './visible.js';

export interface CompactOptions {
  store: LakeStore;
  tables: readonly TableDefinition[];
  /** Days before this one (YYYY-MM-DD) are closed and compacted. */
  before: string;
  targetBytes: number;
  /** How long the replaced files stay after the merged ones are read instead. */
  graceMs: number;
  /** Day folders before this one (YYYY-MM-DD) are removed; none when undefined. */
  removeBefore?: string;
  dryRun?: boolean;
  say?: (line: string) => void;
}

export interface DayReport {
  table: string;
  day: string;
  filesBefore: number;
  bytesBefore: number;
  filesAfter: number;
  bytesAfter: number;
}

export interface CompactReport {
  compacted: DayReport[];
  /** Day folders removed by retention, as `table/dt=…`. */
  expired: string[];
}

const dayPattern = /(?:^|\/)dt=(\d{4}-\d{2}-\d{2})$/;
const nameOf = (key: string) => key.slice(key.lastIndexOf('/') + 1);
const folderOf = (key: string) => key.slice(0, key.lastIndexOf('/'));
const outputsOf = (plan: string) => new RegExp(`^c-${plan}-\\d+of\\d+\\.parquet$`);

/** The UTC date `days` before `date`, as YYYY-MM-DD. */
export function daysBefore(date: Date, days: number): string {
  return new Date(date.getTime() - days * 86_400_000).toISOString().slice(0, 10);
}

export async function compact(o: CompactOptions): Promise<CompactReport> {
  const say = o.say ?? (() => undefined);
  const report: CompactReport = { compacted: [], expired: [] };
  const pending: PendingRemoval[] = [];
  const duck = await openDuckDB(o.store);
  try {
    for (const table of o.tables) {
      const folder = await currentFolder(o.store, table);
      if (folder === undefined) continue;
      const days = groupByDay(await o.store.list(folder));
      for (const [dayFolder, files] of days) {
        const day = dayPattern.exec(dayFolder)![1]!;
        if (o.removeBefore !== undefined && day < o.removeBefore) {
          say(`${table.name} dt=${day}: past retention, ${o.dryRun ? 'would be removed' : 'removed'}`);
          if (!o.dryRun) await o.store.removeAll(dayFolder);
          report.expired.push(`${table.name}/dt=${day}`);
          continue;
        }
        if (day >= o.before) continue;
        const live = await resume(o.store, dayFolder, files, pending, o.dryRun);
        const plan = planDay(live, o.targetBytes);
        if (!plan) continue;
        const line = `${table.name} dt=${day}: ${plan.inputs.length} files (${mb(plan.bytes)})`;
        if (o.dryRun) {
          say(`${line} would be merged`);
          report.compacted.push({
            table: table.name,
            day,
            filesBefore: plan.inputs.length,
            bytesBefore: plan.bytes,
            filesAfter: 0,
            bytesAfter: 0,
          });
          continue;
        }
        const done = await mergeDay(duck, o, table, dayFolder, plan.inputs);
        pending.push({ store: o.store, day: dayFolder, manifest: done.manifest, plan: done.plan, at: Date.now() });
        say(`${line} -> ${done.manifest.outputs} (${mb(done.bytes)})`);
        report.compacted.push({
          table: table.name,
          day,
          filesBefore: plan.inputs.length,
          bytesBefore: plan.bytes,
          filesAfter: done.manifest.outputs,
          bytesAfter: done.bytes,
        });
      }
    }
  } finally {
    duck.closeSync();
  }
  await finish(pending, o.graceMs, say);
  return report;
}

export function groupByDay(files: StoredFile[]): Map<string, StoredFile[]> {
  const days = new Map<string, StoredFile[]>();
  for (const f of files) {
    const day = folderOf(f.key);
    if (!dayPattern.test(day)) continue;
    const list = days.get(day);
    if (list) list.push(f);
    else days.set(day, [f]);
  }
  return days;
}

/**
 * Finds the manifests a crashed run left in a day: 'writing' ones are undone (their outputs and
 * manifest removed), 'committed' ones are queued to finish. Returns the day's files as they stand
 * for the next merge, without those a committed manifest replaces.
 */
export async function resume(
  store: LakeStore,
  dayFolder: string,
  files: StoredFile[],
  pending: PendingRemoval[],
  dryRun = false,
): Promise<StoredFile[]> {
  let live = files.filter((f) => !f.inProgress);
  for (const f of files) {
    const plan = /^_compacting-([0-9a-f]{16})\.json$/.exec(nameOf(f.key))?.[1];
    if (!plan) continue;
    const text = await store.readText(f.key);
    if (text === undefined) continue;
    const manifest = JSON.parse(text) as CompactionManifest;
    const outputs = live.filter((x) => outputsOf(plan).test(nameOf(x.key)));
    if (manifest.status === 'committed' && outputs.length === manifest.outputs) {
      if (!dryRun) pending.push({ store, day: dayFolder, manifest, plan, at: manifest.committedAt ?? Date.now() });
      live = live.filter((x) => !manifest.inputs.includes(nameOf(x.key)));
    } else if (!dryRun) {
      for (const o of outputs) await store.remove(o.key);
      await store.remove(f.key);
      live = live.filter((x) => !outputsOf(plan).test(nameOf(x.key)));
    }
  }
  return live.filter((f) => f.key.endsWith('.parquet') && !nameOf(f.key).startsWith('_'));
}

/** The files of a day worth merging: its small ones, when there are at least two. */
function planDay(files: StoredFile[], targetBytes: number): { inputs: StoredFile[]; bytes: number } | undefined {
  const inputs = files.filter((f) => f.bytes < targetBytes / 2).sort((a, b) => (a.key < b.key ? -1 : 1));
  if (inputs.length < 2) return undefined;
  return { inputs, bytes: inputs.reduce((s, f) => s + f.bytes, 0) };
}

/**
 * Replaces `inputs` by files of about the target size holding their rows (less those `where`
 * excludes, for an erasure): written to scratch, uploaded hidden, then traded for the inputs by
 * committing the manifest. The inputs stay until `finish` removes them.
 */
export async function mergeDay(
  duck: DuckDBConnection,
  o: { store: LakeStore; targetBytes: number },
  table: TableDefinition,
  dayFolder: string,
  inputs: StoredFile[],
  where?: string,
): Promise<{ manifest: CompactionManifest; plan: string; bytes: number }> {
  const names = inputs.map((f) => nameOf(f.key));
  const plan = createHash('sha256')
    .update(`${dayFolder}\n${names.join('\n')}\n${where ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  const scratch = join(o.store.scratchDir(), `compact-${plan}`);
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  try {
    const select = await selectDeclared(
      duck,
      table,
      inputs.map((f) => o.store.url(f.key)),
    );
    const kept = where === undefined ? select : `SELECT * FROM (${select}) WHERE ${where}`;
    const sql =
      `COPY (${kept} ORDER BY ${table.partitionColumn}) TO '${scratch.replaceAll("'", "''")}' ` +
      `(FORMAT parquet, COMPRESSION zstd, FILE_SIZE_BYTES ${o.targetBytes}, FILENAME_PATTERN 'part_{i}')`;
    await duck.run(sql);
    const parts = (await readdir(scratch)).filter((f) => f.endsWith('.parquet')).sort(byPartNumber);
    const manifestKey = keyOf(dayFolder, manifestName(plan));
    const manifest: CompactionManifest = { status: 'writing', inputs: names, outputs: parts.length };
    if (!(await o.store.createText(manifestKey, JSON.stringify(manifest)))) {
      throw new Error(`${manifestKey} exists: is another compaction running on this lake?`);
    }
    let bytes = 0;
    for (const [i, part] of parts.entries()) {
      const { size } = await stat(join(scratch, part));
      bytes += size;
      await o.store.publishFile(join(scratch, part), keyOf(dayFolder, outputName(plan, i, parts.length)));
    }
    const committed: CompactionManifest = { ...manifest, status: 'committed', committedAt: Date.now() };
    await o.store.writeText(manifestKey, JSON.stringify(committed));
    return { manifest: committed, plan, bytes };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

const byPartNumber = (a: string, b: string) => Number(/\d+/.exec(a)?.[0]) - Number(/\d+/.exec(b)?.[0]);

/** A committed replacement whose inputs are still to be removed. */
export interface PendingRemoval {
  store: LakeStore;
  day: string;
  manifest: CompactionManifest;
  plan: string;
  at: number;
}

/** After the grace period, removes what each committed manifest replaced, then the manifest. */
export async function finish(pending: PendingRemoval[], graceMs: number, say: (line: string) => void): Promise<void> {
  if (pending.length === 0) return;
  const wait = Math.max(0, ...pending.map((p) => p.at + graceMs - Date.now()));
  if (wait > 0) {
    say(`waiting ${Math.ceil(wait / 1000)} s (LAKE_COMPACT_GRACE_SECONDS) before removing the files they replace`);
    await new Promise((r) => setTimeout(r, wait));
  }
  for (const p of pending) {
    for (const input of p.manifest.inputs) await p.store.remove(keyOf(p.day, input));
    await p.store.remove(keyOf(p.day, manifestName(p.plan)));
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
