// Fact keys a table or view holds more than once: the same SQL in DuckDB and BigQuery.
import type { TableDeclaration } from '../../schemas/table.js';
import { rowIdentity } from '../../services/bigquery/index.js';

/** SQL listing each fact key of `table` that `from` holds more than once, with its `copies`. */
export function repeatedFactsSql(table: TableDeclaration, from: string): string {
  const key = table.factKey.join(', ');
  return `SELECT ${key}, count(*) AS copies FROM ${from} GROUP BY ${key} HAVING count(*) > 1`;
}

/** SQL listing each row identity (event_id and fact key) that `from` holds more than once. */
export function repeatedRowsSql(table: TableDeclaration, from: string): string {
  const identity = rowIdentity(table).join(', ');
  return `SELECT ${identity}, count(*) AS copies FROM ${from} GROUP BY ${identity} HAVING count(*) > 1`;
}
