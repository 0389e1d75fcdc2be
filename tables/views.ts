// Loads the SQL of a table's views from its folder's views/<name>.sql.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ViewDeclaration } from '../schemas/table.js';

export const viewsIn = (tableDir: string, names: readonly string[]): ViewDeclaration[] =>
  names.map((name) => ({ name, sql: readFileSync(join(tableDir, 'views', `${name}.sql`), 'utf8') }));
