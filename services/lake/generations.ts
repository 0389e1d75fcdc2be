// A table's generations in the lake. Generation 1 is the folder <LAKE_DIR>/<table>, the layout
// every reader knows. A rebuild writes generation N in <LAKE_DIR>/_generations/<table>/g<N> and
// switches by making <LAKE_DIR>/<table> a symbolic link to it, replaced by a rename: atomic, so
// a reader's glob of <table>/dt=*/*.parquet sees one generation or the other, whole. The first
// switch of a table moves its plain folder to _generations/<table>/g1 beside the link; between
// those two renames (microseconds, once in a table's life) the table is absent.
// Each generation's folder holds _meta.json with the table version it was built with.
import { lstat, mkdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Generation, GenerationStore } from '../../schemas/sink.js';
import type { TableDefinition } from '../../schemas/table.js';
import { parquetSink } from './sink.js';

const metaFile = '_meta.json';

export function lakeGenerations(lakeDir: string, onFile?: (table: string) => void): GenerationStore {
  const link = (t: TableDefinition) => join(lakeDir, t.name);
  const generationsDir = (t: TableDefinition) => join(lakeDir, '_generations', t.name);
  const isLink = async (t: TableDefinition) => (await lstat(link(t)).catch(() => undefined))?.isSymbolicLink() ?? false;
  /** Where a generation's files are: generation 1 stays in the plain folder until the first switch. */
  const dirOf = async (t: TableDefinition, generation: number) =>
    generation === 1 && !(await isLink(t)) ? link(t) : join(generationsDir(t), `g${generation}`);
  const versionIn = async (dir: string) => {
    const meta = await readFile(join(dir, metaFile), 'utf8').catch(() => undefined);
    return meta ? (JSON.parse(meta) as { version: number }).version : 1;
  };

  return {
    sink: 'parquet',
    async current(t) {
      if (!(await isLink(t))) return { generation: 1, version: await versionIn(link(t)) };
      const target = await readlink(link(t));
      const generation = Number(/g(\d+)$/.exec(target)?.[1]);
      if (!Number.isInteger(generation)) throw new Error(`${link(t)} links to ${target}, not to a generation folder`);
      return { generation, version: await versionIn(join(generationsDir(t), `g${generation}`)) };
    },
    async prepare(t, next: Generation) {
      const dir = await dirOf(t, next.generation);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, metaFile), JSON.stringify({ version: next.version }));
    },
    async writer(t, generation) {
      // Generation 1's folder moves only when another becomes current, after its writers stopped.
      const tableDir = await dirOf(t, generation);
      return parquetSink({ lakeDir, table: t, tableDir, onFile: () => onFile?.(t.name) });
    },
    async switchTo(t, next) {
      const target = join('_generations', t.name, `g${next.generation}`);
      if ((await isLink(t)) && (await readlink(link(t))) === target) return;
      const staged = join(lakeDir, `.${t.name}.switch`);
      await rm(staged, { force: true });
      await symlink(target, staged);
      if (!(await isLink(t)) && (await lstat(link(t)).catch(() => undefined))) {
        await mkdir(generationsDir(t), { recursive: true });
        await rename(link(t), join(generationsDir(t), 'g1'));
      }
      await rename(staged, link(t));
    },
    async remove(t, generation) {
      const current = await this.current(t);
      if (current.generation === generation) throw new Error(`generation ${generation} of ${t.name} is current`);
      await rm(join(generationsDir(t), `g${generation}`), { recursive: true, force: true });
    },
  };
}
