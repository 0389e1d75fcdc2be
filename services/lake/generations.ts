// A table's generations in the lake. Generation N is the folder <LAKE_DIR>/_generations/<table>/g<N>,
// and <LAKE_DIR>/<table>, the path every reader knows, is a symbolic link to the current one. A
// rebuild switches by replacing the link with a rename: atomic, so a reader's glob of
// <table>/dt=*/*.parquet sees one generation or the other, whole. A lake written before
// generations existed has a plain folder <LAKE_DIR>/<table> as generation 1; its first switch moves
// it to _generations/<table>/g1 beside the link, and between those two renames (microseconds, once
// in a table's life) the table is absent.
// Each generation's folder holds _meta.json with the table version it was built with.
import { lstat, mkdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Generation, GenerationStore } from '../../schemas/sink.js';
import type { TableDefinition } from '../../schemas/table.js';
import { parquetSink } from './sink.js';

const metaFile = '_meta.json';

export function lakeGenerations(lakeDir: string, onFile?: (table: string) => void): GenerationStore {
  const link = (t: TableDefinition) => join(lakeDir, t.name);
  const generationsDir = (t: TableDefinition) => join(lakeDir, '_generations', t.name);
  const isLink = async (t: TableDefinition) => (await lstat(link(t)).catch(() => undefined))?.isSymbolicLink() ?? false;
  const exists = async (t: TableDefinition) => (await lstat(link(t)).catch(() => undefined)) !== undefined;
  /** Where a generation's files are: a plain folder from before generations stays generation 1. */
  const dirOf = async (t: TableDefinition, generation: number) =>
    generation === 1 && (await exists(t)) && !(await isLink(t)) ? link(t) : join(generationsDir(t), `g${generation}`);
  /** Points <table> at a generation with a link staged beside it and renamed over it. */
  const pointAt = async (t: TableDefinition, generation: number) => {
    const staged = join(lakeDir, `.${t.name}.switch.${randomUUID()}`);
    await symlink(join('_generations', t.name, `g${generation}`), staged);
    await rename(staged, link(t));
  };
  const versionIn = async (dir: string) => {
    const meta = await readFile(join(dir, metaFile), 'utf8').catch(() => undefined);
    return meta ? (JSON.parse(meta) as { version: number }).version : 1;
  };

  return {
    sink: 'parquet',
    async current(t) {
      // Not written yet: the first write makes generation 1 with the declared version.
      if (!(await exists(t))) return { generation: 1, version: t.version };
      if (!(await isLink(t))) return { generation: 1, version: await versionIn(link(t)) };
      const target = await readlink(link(t));
      const generation = Number(/g(\d+)$/.exec(target)?.[1]);
      if (!Number.isInteger(generation)) throw new Error(`${link(t)} links to ${target}, not to a generation folder`);
      return { generation, version: await versionIn(join(generationsDir(t), `g${generation}`)) };
    },
    async prepare(t, next: Generation) {
      const dir = await dirOf(t, next.generation);
      await mkdir(dir, { recursive: true });
      const staged = join(dir, `.${metaFile}.${randomUUID()}`);
      await writeFile(staged, JSON.stringify({ version: next.version }));
      await rename(staged, join(dir, metaFile));
    },
    async writer(t, generation) {
      if (generation === 1 && !(await exists(t))) {
        // A new table starts as generation 1 behind the link, so no later switch has to move it.
        await this.prepare(t, { generation: 1, version: t.version });
        await pointAt(t, 1).catch(async (err: unknown) => {
          if (!(await exists(t))) throw err; // another instance made it first: either way it is there
        });
      }
      const tableDir = await dirOf(t, generation);
      return parquetSink({ lakeDir, table: t, tableDir, onFile: () => onFile?.(t.name) });
    },
    async switchTo(t, next) {
      const target = join('_generations', t.name, `g${next.generation}`);
      if ((await isLink(t)) && (await readlink(link(t))) === target) return;
      if ((await exists(t)) && !(await isLink(t))) {
        // A plain folder from before generations: generation 1 moves beside the link.
        await mkdir(generationsDir(t), { recursive: true });
        await rename(link(t), join(generationsDir(t), 'g1'));
      }
      await pointAt(t, next.generation);
    },
    async remove(t, generation) {
      const current = await this.current(t);
      if (current.generation === generation) throw new Error(`generation ${generation} of ${t.name} is current`);
      await rm(join(generationsDir(t), `g${generation}`), { recursive: true, force: true });
    },
  };
}
