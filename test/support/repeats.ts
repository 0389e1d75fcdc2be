// Fact keys a table or view holds more than once: the same SQL in DuckDB and BigQuery.
import type { TableDeclaration } from '../../schemas/table.js';

/** SQL listing each fact key of `table` that `from` holds more than once, with its `copies`. */
export function repeatedFactsSql(table: TableDeclaration, from: string): string {
  const key = table.factKey.join(', ');
  return `SELECT ${key}, count(*) AS copies FROM ${from} GROUP BY ${key} HAVING count(*) > 1`;
}
