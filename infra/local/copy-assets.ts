// `npm run build`, after tsc: copies what the compiled code reads beside it, the tables' view SQL
// (tables/<name>/views/*.sql -> dist/tables/<name>/views/). The tests' build passes its own folder.
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** Copies every table's views/ folder under `outDir`'s tables/. */
export function copyAssets(outDir: string): void {
  for (const table of readdirSync(join(repoRoot, 'tables'), { withFileTypes: true })) {
    const views = join(repoRoot, 'tables', table.name, 'views');
    if (!table.isDirectory() || !existsSync(views)) continue;
    cpSync(views, join(outDir, 'tables', table.name, 'views'), { recursive: true });
  }
}

if (process.argv[1] === import.meta.filename) copyAssets(join(repoRoot, 'dist'));
