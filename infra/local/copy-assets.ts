// `npm run build`, after tsc: copies what the compiled code reads beside it, the tables' view SQL
// (tables/<name>/views/*.sql -> dist/tables/<name>/views/).
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

for (const table of readdirSync(join(repoRoot, 'tables'), { withFileTypes: true })) {
  const views = join(repoRoot, 'tables', table.name, 'views');
  if (!table.isDirectory() || !existsSync(views)) continue;
  cpSync(views, join(repoRoot, 'dist', 'tables', table.name, 'views'), { recursive: true });
}
