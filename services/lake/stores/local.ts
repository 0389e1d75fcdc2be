// The lake in a local folder: keys are paths under it. A file becomes visible by a rename of its
// fsynced hidden temp file (writeParquetFile), so a reader's listing sees it whole or not at all.
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { basename, dirname, join, relative, sep } from 'node:path';
import { tempFileTarget, writeParquetFile } from '../parquet/writer.js';
import type { LakeStore, StoredFile } from '../store.js';

/** Every file under `dir`, recursively, as paths relative to `root` with '/'. */
async function walk(root: string, dir: string, out: StoredFile[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory() || (e.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isDirectory())) {
      await walk(root, path, out);
    } else if (e.isFile()) {
      // A hidden temp file left by a crash is listed under the name it was to have.
      const target = tempFileTarget(e.name);
      const key = relative(root, join(dir, target ?? e.name))
        .split(sep)
        .join('/');
      const bytes = (await stat(path).catch(() => undefined))?.size ?? 0;
      out.push(target === undefined ? { key, bytes } : { key, bytes, inProgress: true });
    }
  }
}

export function localStore(root: string): LakeStore {
  const pathOf = (key: string) => join(root, ...key.split('/'));
  const store: LakeStore = {
    location: { kind: 'local', dir: root },
    writeParquet: (table, rows, key) => writeParquetFile(table, rows, pathOf(key)),
    async publishFile(localPath, key) {
      const fh = await open(localPath, 'r+');
      await fh.sync().finally(() => fh.close());
      await mkdir(dirname(pathOf(key)), { recursive: true });
      await rename(localPath, pathOf(key));
    },
    async list(prefix) {
      const out: StoredFile[] = [];
      await walk(root, pathOf(prefix.replace(/\/$/, '')), out);
      return out;
    },
    async remove(key) {
      const path = pathOf(key);
      await rm(path, { force: true });
      // and any hidden temp file a crash left for it
      const dir = dirname(path);
      for (const f of await readdir(dir).catch(() => [] as string[])) {
        if (tempFileTarget(f) === basename(path)) await rm(join(dir, f), { force: true });
      }
    },
    removeAll: (prefix) => rm(pathOf(prefix.replace(/\/$/, '')), { recursive: true, force: true }),
    readText: (key) => readFile(pathOf(key), 'utf8').catch(() => undefined),
    async writeText(key, text) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const staged = join(dirname(path), `.${basename(path)}.${randomUUID()}`);
      await writeFile(staged, text);
      await rename(staged, path);
    },
    async createText(key, text) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      return writeFile(path, text, { flag: 'wx' }).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'EEXIST') return false;
          throw err;
        },
      );
    },
    url: (key) => pathOf(key),
    scratchDir: () => join(root, '.scratch'),
  };
  return store;
}
