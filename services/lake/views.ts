// The shipped views, one SQL file each under infra/views/, shared by DuckDB and BigQuery. A
// `{{name}}` placeholder stands for a table or an earlier view; each engine says how to name it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** In creation order: request_latest reads request_history. */
export const viewNames = [
  'request_history',
  'activity',
  'assignments',
  'csat',
  'rejections',
  'request_latest',
] as const;
export type ViewName = (typeof viewNames)[number];

const viewsDir = join(import.meta.dirname, '../../infra/views');

export function viewSql(view: ViewName, reference: (name: string) => string): string {
  const sql = readFileSync(join(viewsDir, `${view}.sql`), 'utf8');
  return sql.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => reference(name));
}
