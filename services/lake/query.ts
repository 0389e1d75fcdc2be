// `npm run query -- "select …"`: runs SQL on the lake with DuckDB and prints a table. Without SQL
// it prints how many rows each table and view holds.
import { ConfigError, loadConfig } from '../shared/config.js';
import { catalogue, viewsOf } from '../../tables/catalogue.js';
import { readLake } from './duckdb.js';
import { lakeStoreFrom } from './stores/index.js';

function render(columns: string[], rows: unknown[][]): string {
  const cell = (v: unknown) =>
    v === null || v === undefined
      ? 'NULL'
      : v instanceof Date
        ? v.toISOString()
        : typeof v === 'object'
          ? JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
          : String(v);
  const text = rows.map((r) => r.map(cell));
  const widths = columns.map((c, i) => Math.min(60, Math.max(c.length, ...text.map((r) => r[i]!.length))));
  const line = (cells: string[]) =>
    cells.map((c, i) => (c.length > widths[i]! ? `${c.slice(0, widths[i]! - 1)}…` : c.padEnd(widths[i]!))).join(' | ');
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...text.map(line), `(${rows.length} rows)`].join(
    '\n',
  );
}

async function main(): Promise<void> {
  const config = loadConfig();
  const sql =
    process.argv.slice(2).join(' ').trim() ||
    [...catalogue.map((t) => t.name), ...viewsOf().map((v) => v.name)]
      .map((n) => `SELECT '${n}' AS name, count(*) AS rows FROM ${n}`)
      .join(' UNION ALL ');
  const reader = await readLake(lakeStoreFrom(config), (connection) => connection.runAndReadAll(sql));
  process.stdout.write(`${render(reader.columnNames(), reader.getRowsJS())}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
  process.exit(1);
});
