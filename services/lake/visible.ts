// Which of a table's files a reader reads. Compaction (compaction.ts) replaces a day's small files
// by a few large ones without a moment where a fact is missing or repeated, by a manifest in the
// day's folder, dt=D/_compacting-<plan>.json:
//
//   1. manifest {status: 'writing', inputs}          outputs hidden, inputs read
//   2. outputs c-<plan>-<i>of<n>.parquet uploaded    (still hidden)
//   3. manifest {status: 'committed', inputs}        outputs read, inputs hidden
//   4. after a grace period, inputs removed
//   5. manifest removed                              outputs read: the plain state of a compacted day
//
// A reader takes outputs only when its listing holds all n of them, so a listing made before the
// last upload never trades the inputs for part of the outputs. Files still being written locally
// and manifests (names starting with '_') are never read.
import type { LakeStore, StoredFile } from './store.js';

export interface CompactionManifest {
  status: 'writing' | 'committed';
  /** File names in the day's folder that the outputs replace. */
  inputs: string[];
  outputs: number;
  /** When the manifest was committed (ms since the epoch): the grace period runs from here. */
  committedAt?: number;
}

export const manifestName = (plan: string) => `_compacting-${plan}.json`;
export const outputName = (plan: string, i: number, n: number) => `c-${plan}-${i}of${n}.parquet`;
const manifestPattern = /^_compacting-([0-9a-f]{16})\.json$/;
const outputPattern = /^c-([0-9a-f]{16})-(\d+)of(\d+)\.parquet$/;

const folderOf = (key: string) => key.slice(0, key.lastIndexOf('/'));
const nameOf = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/**
 * What a reader of a table folder reads, from one listing: the files to read now, and, for a
 * reader that lists the folder again at each query (DuckDB's glob), the files it must skip and the
 * merged files it may take. Names are `dt=YYYY-MM-DD/<file>`, the last two parts of a key.
 */
export interface ReaderView {
  files: StoredFile[];
  /** Files replaced by a committed compaction, and merged files not (yet) to be read. */
  skip: string[];
  /** The merged files (c-…) to read; any other merged file a later listing finds is skipped. */
  merged: string[];
}

export const dayAndName = (key: string) => key.split('/').slice(-2).join('/');

export async function readerView(store: LakeStore, folder: string): Promise<ReaderView> {
  const listed = await store.list(folder);
  const byDay = new Map<string, StoredFile[]>();
  for (const f of listed) {
    if (f.inProgress) continue;
    const day = folderOf(f.key);
    const list = byDay.get(day);
    if (list) list.push(f);
    else byDay.set(day, [f]);
  }
  const view: ReaderView = { files: [], skip: [], merged: [] };
  for (const [day, files] of byDay) {
    const visible = await visibleInDay(store, day, files);
    const shown = new Set(visible.map((f) => f.key));
    view.files.push(...visible);
    for (const f of files) {
      if (!f.key.endsWith('.parquet')) continue;
      if (!shown.has(f.key)) view.skip.push(dayAndName(f.key));
      else if (outputPattern.test(nameOf(f.key))) view.merged.push(dayAndName(f.key));
    }
  }
  return view;
}

/** The Parquet files of a table folder that a reader should read, from one listing. */
export async function visibleFiles(store: LakeStore, folder: string): Promise<StoredFile[]> {
  return (await readerView(store, folder)).files;
}

async function visibleInDay(store: LakeStore, day: string, files: StoredFile[]): Promise<StoredFile[]> {
  const names = new Set(files.map((f) => nameOf(f.key)));
  const hidden = new Set<string>();
  // Outputs count only when complete in this listing.
  const parts = new Map<string, { n: number; seen: number }>();
  for (const name of names) {
    const m = outputPattern.exec(name);
    if (!m) continue;
    const p = parts.get(m[1]!) ?? { n: Number(m[3]), seen: 0 };
    p.seen++;
    parts.set(m[1]!, p);
  }
  const complete = (plan: string, outputs?: number) => {
    const p = parts.get(plan);
    // An erasure can leave no rows, and so no output, of the files it replaces.
    return outputs === 0 || (p !== undefined && p.seen === p.n);
  };
  for (const [plan] of parts) if (!complete(plan)) hidden.add(plan);
  for (const name of names) {
    const plan = manifestPattern.exec(name)?.[1];
    if (!plan) continue;
    const text = await store.readText(`${day}/${name}`);
    // Gone since the listing: the compaction finished, and its outputs stand alone.
    if (text === undefined) continue;
    const manifest = JSON.parse(text) as CompactionManifest;
    if (manifest.status === 'committed' && complete(plan, manifest.outputs)) {
      for (const input of manifest.inputs) hiddenInputs(hidden, input);
    } else {
      hidden.add(plan);
    }
  }
  return files.filter((f) => {
    const name = nameOf(f.key);
    if (!name.endsWith('.parquet') || name.startsWith('.') || name.startsWith('_')) return false;
    if (hidden.has(`file:${name}`)) return false;
    const plan = outputPattern.exec(name)?.[1];
    return plan === undefined || !hidden.has(plan);
  });
}

const hiddenInputs = (hidden: Set<string>, input: string) => hidden.add(`file:${input}`);
