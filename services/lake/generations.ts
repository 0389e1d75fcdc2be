// A table's generations in the lake (rebuilds write the next one beside the current, then switch).
// Generation N is the folder _generations/<table>/g<N>, holding _meta.json with the table version
// it was built with. What says which one is current depends on the store:
//
//   local folder: <LAKE_DIR>/<table>, the path every reader knows, is a symbolic link to the
//     current one, switched by renaming a new link over it: atomic, so a reader's listing of
//     <table>/dt=*/ sees one generation or the other, whole. A lake written before generations
//     has a plain folder <LAKE_DIR>/<table> as generation 1; its first switch moves it to
//     _generations/<table>/g1 beside the link, and between those two renames (microseconds, once
//     in a table's life) the table is absent.
//   bucket: there are no links. Generation 1 is the folder <table> itself, the contract's layout;
//     once a rebuild switches, the object _generations/<table>/CURRENT names the generation
//     (replacing an object is atomic in GCS), and later generations live in
//     _generations/<table>/g<N>. No such object: generation 1.
import { lstat, mkdir, readlink, rename, symlink } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Generation, GenerationStore } from '../../schemas/sink.js';
import type { TableDefinition } from '../../schemas/table.js';
import { parquetSink } from './sink.js';
import { keyOf, type LakeStore } from './store.js';
import { localStore } from './stores/local.js';

const metaFile = '_meta.json';
const generationFolder = (t: TableDefinition, generation: number) => keyOf('_generations', t.name, `g${generation}`);
const pointerKey = (t: TableDefinition) => keyOf('_generations', t.name, 'CURRENT');

/** The folder key of a table's current generation, or undefined while the table has none. */
export async function currentFolder(store: LakeStore, t: TableDefinition): Promise<string | undefined> {
  if (store.location.kind === 'local') {
    const link = join(store.location.dir, t.name);
    const entry = await lstat(link).catch(() => undefined);
    if (!entry) return undefined;
    return entry.isSymbolicLink() ? (await readlink(link)).split('\\').join('/') : t.name;
  }
  const pointer = await store.readText(pointerKey(t));
  return bucketFolder(t, pointer ? (JSON.parse(pointer) as { generation: number }).generation : 1);
}

/** In a bucket, generation 1 is <table> itself; later ones are under _generations. */
const bucketFolder = (t: TableDefinition, generation: number) =>
  generation === 1 ? t.name : generationFolder(t, generation);

export function lakeGenerations(lake: string | LakeStore, onFile?: (table: string) => void): GenerationStore {
  const store = typeof lake === 'string' ? localStore(lake) : lake;
  const common = {
    versionIn: async (folder: string) => {
      const meta = await store.readText(keyOf(folder, metaFile));
      return meta ? (JSON.parse(meta) as { version: number }).version : 1;
    },
    writeMeta: (folder: string, next: Generation) =>
      store.writeText(keyOf(folder, metaFile), JSON.stringify({ version: next.version })),
    sinkFor: (t: TableDefinition, folder: string) =>
      parquetSink({ store, table: t, folder, onFile: () => onFile?.(t.name) }),
  };
  return store.location.kind === 'local'
    ? linkedGenerations(store, store.location.dir, common)
    : pointedGenerations(store, common);
}

type Common = {
  versionIn(folder: string): Promise<number>;
  writeMeta(folder: string, next: Generation): Promise<void>;
  sinkFor(t: TableDefinition, folder: string): ReturnType<typeof parquetSink>;
};

function linkedGenerations(store: LakeStore, lakeDir: string, c: Common): GenerationStore {
  const link = (t: TableDefinition) => join(lakeDir, t.name);
  const isLink = async (t: TableDefinition) => (await lstat(link(t)).catch(() => undefined))?.isSymbolicLink() ?? false;
  const exists = async (t: TableDefinition) => (await lstat(link(t)).catch(() => undefined)) !== undefined;
  /** Where a generation's files are: a plain folder from before generations stays generation 1. */
  const folderOf = async (t: TableDefinition, generation: number) =>
    generation === 1 && (await exists(t)) && !(await isLink(t)) ? t.name : generationFolder(t, generation);
  /** Points <table> at a generation with a link staged beside it and renamed over it. */
  const pointAt = async (t: TableDefinition, generation: number) => {
    const staged = join(lakeDir, `.${t.name}.switch.${randomUUID()}`);
    await symlink(generationFolder(t, generation), staged);
    await rename(staged, link(t));
  };

  return {
    sink: 'parquet',
    async current(t) {
      // Not written yet: the first write makes generation 1 with the declared version.
      const folder = await currentFolder(store, t);
      if (folder === undefined) return { generation: 1, version: t.version };
      if (folder === t.name) return { generation: 1, version: await c.versionIn(folder) };
      const generation = Number(/g(\d+)$/.exec(folder)?.[1]);
      if (!Number.isInteger(generation)) throw new Error(`${link(t)} links to ${folder}, not to a generation folder`);
      return { generation, version: await c.versionIn(folder) };
    },
    async prepare(t, next: Generation) {
      const folder = await folderOf(t, next.generation);
      await mkdir(join(lakeDir, folder), { recursive: true });
      await c.writeMeta(folder, next);
    },
    async writer(t, generation) {
      if (generation === 1 && !(await exists(t))) {
        // A new table starts as generation 1 behind the link, so no later switch has to move it.
        await this.prepare(t, { generation: 1, version: t.version });
        await pointAt(t, 1).catch(async (err: unknown) => {
          if (!(await exists(t))) throw err; // another instance made it first: either way it is there
        });
      }
      return c.sinkFor(t, await folderOf(t, generation));
    },
    async switchTo(t, next) {
      const target = generationFolder(t, next.generation);
      if ((await isLink(t)) && (await readlink(link(t))) === target) return;
      if ((await exists(t)) && !(await isLink(t))) {
        // A plain folder from before generations: generation 1 moves beside the link.
        await mkdir(join(lakeDir, '_generations', t.name), { recursive: true });
        await rename(link(t), join(lakeDir, generationFolder(t, 1)));
      }
      await pointAt(t, next.generation);
    },
    async remove(t, generation) {
      const current = await this.current(t);
      if (current.generation === generation) throw new Error(`generation ${generation} of ${t.name} is current`);
      await store.removeAll(generationFolder(t, generation));
    },
  };
}

function pointedGenerations(store: LakeStore, c: Common): GenerationStore {
  const pointed = async (t: TableDefinition) => {
    const text = await store.readText(pointerKey(t));
    return text === undefined ? 1 : (JSON.parse(text) as { generation: number }).generation;
  };
  return {
    sink: 'parquet',
    async current(t) {
      const generation = await pointed(t);
      const meta = await store.readText(keyOf(bucketFolder(t, generation), metaFile));
      // Not written yet: the first write makes generation 1 with the declared version.
      if (generation === 1 && meta === undefined) return { generation, version: t.version };
      return { generation, version: await c.versionIn(bucketFolder(t, generation)) };
    },
    prepare: (t, next) => c.writeMeta(bucketFolder(t, next.generation), next),
    async writer(t, generation) {
      // Another instance may have made it first: either way it is there.
      if (generation === 1) {
        await store.createText(keyOf(t.name, metaFile), JSON.stringify({ version: t.version }));
      }
      return c.sinkFor(t, bucketFolder(t, generation));
    },
    async switchTo(t, next) {
      await store.writeText(pointerKey(t), JSON.stringify({ generation: next.generation }));
    },
    async remove(t, generation) {
      const current = await this.current(t);
      if (current.generation === generation) throw new Error(`generation ${generation} of ${t.name} is current`);
      await store.removeAll(bucketFolder(t, generation));
    },
  };
}
