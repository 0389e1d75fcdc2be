// DuckDB's httpfs extension (to read the lake from a bucket), from PyPI's signed copy for the
// DuckDB version @duckdb/node-api embeds, into .local/duckdb/extensions/<version>/<platform>/,
// where services/lake/duckdb-gcs.ts points DuckDB with auto-install off: nothing is downloaded
// at query time.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { localDir } from '../local/paths.js';
import { run } from '../local/process.js';

/** The DuckDB release inside the pinned @duckdb/node-api; PyPI's extension packages carry its number. */
export const duckdbVersion = '1.5.5';
const extensionsDir = join(localDir, 'duckdb', 'extensions');
const platform = `linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}`;

export async function installDuckdbExtensions(extensions = ['httpfs']): Promise<string> {
  const target = join(extensionsDir, `v${duckdbVersion}`, platform);
  const missing = extensions.filter((e) => !existsSync(join(target, `${e}.duckdb_extension`)));
  if (missing.length === 0) return extensionsDir;
  const staging = join(localDir, 'duckdb', 'pip');
  rmSync(staging, { recursive: true, force: true });
  const packages = missing.map((e) => `duckdb-extension-${e}==${duckdbVersion}`);
  await run('python3', [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '--no-deps',
    '--target',
    staging,
    ...packages,
  ]);
  mkdirSync(target, { recursive: true });
  for (const e of missing) {
    const from = join(staging, `duckdb_extension_${e}`, 'extensions', `v${duckdbVersion}`);
    const file = readdirSync(from).find((f) => f === `${e}.duckdb_extension`);
    if (!file) throw new Error(`duckdb-extension-${e}==${duckdbVersion} holds no ${e}.duckdb_extension`);
    copyFileSync(join(from, file), join(target, file));
  }
  rmSync(staging, { recursive: true, force: true });
  return extensionsDir;
}
