// The Parquet layout of a lake table, derived from its declaration in schemas/tables.ts, and the
// check-and-convert step from a row (the value conventions documented there) to the record
// parquetjs-lite shreds. Several choices here route around parquetjs-lite 0.8.7 behaviour that
// DuckDB reads wrongly; writer.duckdb.test.ts proves each one by reading files back.
import parquet from 'parquetjs-lite';
import type {
  ParquetCompression,
  ParquetFieldDefinition,
  ParquetLeafDefinition,
  ParquetSchema,
  ParquetSchemaDefinition,
} from 'parquetjs-lite';
import type { ColumnDeclaration, ColumnType, TableDeclaration } from '../../../schemas/table.js';
import { maxTimestampMicros } from '../../../schemas/table.js';

/**
 * 'write' shreds rows and encodes pages; 'footer' describes the file to readers. They differ only
 * for TIMESTAMP columns: parquetjs-lite's TIMESTAMP_MICROS type throws on values before 1970, so
 * pages are encoded as plain INT64 and only the footer carries the TIMESTAMP_MICROS annotation.
 */
export type SchemaTarget = 'write' | 'footer';

export interface TableParquetSchemas {
  write: ParquetSchema;
  footer: ParquetSchema;
}

/** The largest TIMESTAMP magnitude (microseconds) written exactly: parquetjs-lite converts INT64 through a JS number. */
export const MAX_TIMESTAMP_MICROS = maxTimestampMicros;

function leaf(type: ColumnType, target: SchemaTarget, compression: ParquetCompression): ParquetLeafDefinition {
  switch (type) {
    case 'STRING':
      // parquetjs-lite orders min/max by UTF-16 code units, not by UTF-8 bytes as Parquet requires;
      // DuckDB would then skip row groups holding emoji. No statistics is always correct.
      return { type: 'UTF8', statistics: false, compression };
    case 'INT64':
      return { type: 'INT64', compression };
    case 'BOOL':
      return { type: 'BOOLEAN', compression };
    case 'TIMESTAMP':
      return { type: target === 'write' ? 'INT64' : 'TIMESTAMP_MICROS', compression };
  }
}

function field(
  column: ColumnDeclaration,
  target: SchemaTarget,
  compression: ParquetCompression,
): ParquetFieldDefinition {
  const element = leaf(column.type, target, compression);
  if (column.mode !== 'REPEATED') return { ...element, optional: column.mode === 'NULLABLE' };
  // The standard three-level LIST. A bare repeated leaf has no level that tells NULL from [].
  return {
    type: 'LIST',
    optional: true,
    fields: { list: { repeated: true, fields: { element: { ...element, optional: true } } } },
  };
}

/** The parquetjs-lite schema definition of a table: one field per declared column, in declaration order. */
export function parquetSchemaDefinition(
  table: TableDeclaration,
  target: SchemaTarget,
  compression: ParquetCompression = 'UNCOMPRESSED',
): ParquetSchemaDefinition {
  const definition: ParquetSchemaDefinition = {};
  for (const column of table.columns) definition[column.name] = field(column, target, compression);
  return definition;
}

/** Both schemas a file of this table is written with (see SchemaTarget). */
export function parquetSchemas(
  table: TableDeclaration,
  compression: ParquetCompression = 'UNCOMPRESSED',
): TableParquetSchemas {
  // Fresh definitions for each: parquetjs-lite writes defaults into the objects it is given.
  return {
    write: new parquet.ParquetSchema(parquetSchemaDefinition(table, 'write', compression)),
    footer: new parquet.ParquetSchema(parquetSchemaDefinition(table, 'footer', compression)),
  };
}

/** A row that does not follow the table's declaration. Retrying cannot help; the row must be fixed or dead-lettered. */
export class ParquetRowError extends Error {
  constructor(
    readonly table: string,
    readonly rowIndex: number,
    readonly column: string,
    message: string,
  ) {
    super(`${table} row ${rowIndex}, column ${column}: ${message}`);
    this.name = 'ParquetRowError';
  }
}

/** Returns the converted value, or undefined when the value breaks the convention. */
type Convert = (value: unknown) => unknown;

const conventions: Record<ColumnType, { expected: string; convert: Convert }> = {
  STRING: { expected: 'a string', convert: (v) => (typeof v === 'string' ? v : undefined) },
  INT64: {
    expected: 'a safe integer number',
    convert: (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined),
  },
  BOOL: { expected: 'a boolean', convert: (v) => (typeof v === 'boolean' ? v : undefined) },
  TIMESTAMP: {
    expected: 'bigint microseconds within ±(2^53 - 1), i.e. years 1685 to 2255',
    // A number within the safe range goes through parquetjs-lite's INT64 conversion unchanged.
    convert: (v) =>
      typeof v === 'bigint' && v <= MAX_TIMESTAMP_MICROS && v >= -MAX_TIMESTAMP_MICROS ? Number(v) : undefined,
  },
};

function describeValue(value: unknown): string {
  if (value === undefined) return 'no value';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

/** Checks one row against the declaration and builds the record parquetjs-lite shreds; throws ParquetRowError naming the column. */
export type RecordEncoder = (row: Record<string, unknown>, rowIndex: number) => Record<string, unknown>;

/**
 * Builds the row check-and-convert for a table. A missing key is NULL; NULL in a REQUIRED
 * column, a value of the wrong type, a NULL list element and a key the table does not declare
 * are errors (an undeclared key would otherwise be dropped without a trace).
 */
export function recordEncoder(table: TableDeclaration): RecordEncoder {
  const declared = new Set(table.columns.map((c) => c.name));
  const columns = table.columns.map((c) => ({ ...c, ...conventions[c.type] }));

  return (row, rowIndex) => {
    const fail = (column: string, message: string) => new ParquetRowError(table.name, rowIndex, column, message);
    for (const key of Object.keys(row)) {
      if (!declared.has(key)) throw fail(key, `the table declares no such column (schemas/tables.ts)`);
    }
    const record: Record<string, unknown> = {};
    for (const c of columns) {
      const value = row[c.name];
      if (value === null || value === undefined) {
        if (c.mode === 'REQUIRED') throw fail(c.name, `REQUIRED ${c.type} but the row has ${describeValue(value)}`);
        record[c.name] = null;
        continue;
      }
      if (c.mode === 'REPEATED') {
        if (!Array.isArray(value))
          throw fail(c.name, `expected an array whose elements are each ${c.expected}, got ${describeValue(value)}`);
        record[c.name] = {
          list: value.map((item: unknown, i) => {
            const element = c.convert(item);
            if (element === undefined)
              throw fail(c.name, `element ${i}: expected ${c.expected}, got ${describeValue(item)}`);
            return { element };
          }),
        };
        continue;
      }
      const converted = c.convert(value);
      if (converted === undefined) throw fail(c.name, `expected ${c.expected}, got ${describeValue(value)}`);
      record[c.name] = converted;
    }
    return record;
  };
}
