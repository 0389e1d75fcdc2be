// BigQuery table schemas, derived from the declarations in schemas/tables.ts.
import type { ColumnDeclaration, TableDeclaration } from '../../schemas/table.js';

export interface BigQueryField {
  name: string;
  type: string;
  mode: 'REQUIRED' | 'NULLABLE' | 'REPEATED';
  description?: string;
}

/** BigQuery's API answers with the legacy type names; declarations use the standard SQL ones. */
const canonicalType: Record<string, string> = {
  STRING: 'STRING',
  INT64: 'INT64',
  INTEGER: 'INT64',
  TIMESTAMP: 'TIMESTAMP',
  BOOL: 'BOOL',
  BOOLEAN: 'BOOL',
};

export const sameType = (a: string, b: string) => (canonicalType[a] ?? a) === (canonicalType[b] ?? b);

export function bigQueryField(c: ColumnDeclaration): BigQueryField {
  return { name: c.name, type: c.type, mode: c.mode, description: c.description };
}

export function bigQuerySchema(table: TableDeclaration): BigQueryField[] {
  return table.columns.map(bigQueryField);
}
