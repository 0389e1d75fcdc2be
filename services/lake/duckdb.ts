// The lake as DuckDB sees it: a view per table over its Parquet files (an empty typed table
// while it has none), each table's views on top, then the views over several tables (the metric
// views). A connection reads the generation each table had when it opened, so a query running
// across a rebuild's switch reads the old generation's files, which stay for a while after it;
// open a new connection to read the new one. Compaction is handled the same way (openLake).
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { ColumnDeclaration, TableDefinition } from '../../schemas/table.js';
import { catalogue, viewSql, viewsOf } from '../../tables/catalogue.js';
import { duckdbExtensionDir, gcsSecretSql } from './duckdb-gcs.js';
import { currentFolder } from './generations.js';
import type { LakeStore } from './store.js';
import { localStore } from './stores/local.js';
import { readerView, type ReaderView } from './visible.js';

const duckType = (c: ColumnDeclaration): string => {
  const base = { STRING: 'VARCHAR', INT64: 'BIGINT', TIMESTAMP: 'TIMESTAMP', BOOL: 'BOOLEAN' }[c.type];
  return c.mode === 'REPEATED' ? `${base}[]` : base;
};
export const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** A column as the base view reads it: NULL (or its absentAs value) in files written before it existed. */
function columnOrAbsent(c: ColumnDeclaration): string {
  return c.absentAs === undefined ? c.name : `COALESCE(${c.name}, ${quote(c.absentAs)}) AS ${c.name}`;
}

/** DuckDB with the extensions the lake needs, loaded from the folder `npm run infra:install` fills, never downloaded. */
export async function openDuckDB(store: LakeStore): Promise<DuckDBConnection> {
  if (store.location.kind === 'local') return (await DuckDBInstance.create(':memory:')).connect();
  const connection = await (
    await DuckDBInstance.create(':memory:', {
      extension_directory: duckdbExtensionDir(),
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    })
  ).connect();
  await connection.run('LOAD httpfs').catch((err: Error) => {
    throw new Error(
      `DuckDB could not load its httpfs extension from ${duckdbExtensionDir()} (${err.message.split('\n')[0]}); ` +
        'run `npm run infra:install`, which installs it from PyPI',
    );
  });
  await connection.run(gcsSecretSql(store.location));
  return connection;
}

/**
 * A SELECT of a table's declared columns from Parquet files (a list, or a glob DuckDB expands at
 * each query): a column declared after some files were written reads as NULL (or its absentAs
 * value) in them, and from the files that have it, including those written after the SELECT was
 * made. `where` may use `filename`.
 */
export async function selectDeclared(
  connection: DuckDBConnection,
  table: TableDefinition,
  source: string[] | string,
  opts: { withFilename?: boolean; where?: string } = {},
): Promise<string> {
  const files = typeof source === 'string' ? quote(source) : `[${source.map(quote).join(', ')}]`;
  const filename = opts.withFilename || opts.where ? ', filename = true' : '';
  const read = `read_parquet(${files}, hive_partitioning = false, union_by_name = true${filename})`;
  const present = new Set(
    (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${read}`)).getRowObjectsJS().map((r) => r.column_name),
  );
  // A declared column no file has yet is still read from the files, through an empty relation that
  // declares it (UNION BY NAME fills it with NULL where a file lacks it): a view defined now must
  // read it from a file written later, after the glob is expanded again at query time. Columns the
  // files already have are read as they are, with the files' own types.
  const missing = table.columns.filter((c) => !present.has(c.name));
  const declaring = missing.map((c) => `CAST(NULL AS ${duckType(c)}) AS ${c.name}`).join(', ');
  const from =
    missing.length === 0 ? read : `(SELECT ${declaring} WHERE false UNION ALL BY NAME SELECT * FROM ${read})`;
  const columns = table.columns.map(columnOrAbsent);
  if (opts.withFilename) columns.push('filename');
  return `SELECT ${columns.join(', ')} FROM ${from}${opts.where ? ` WHERE ${opts.where}` : ''}`;
}

/** The filter that keeps a glob's files to a reader view (visible.ts): nothing skipped, merged files known. */
function viewFilter(view: ReaderView): string {
  const name = "regexp_extract(filename, 'dt=[^/]+/[^/]+$')";
  const list = (names: string[]) => names.map(quote).join(', ');
  const merged = "regexp_matches(filename, '/c-[0-9a-f]{16}-[0-9]+of[0-9]+[.]parquet$')";
  const conditions = [
    view.skip.length ? `${name} NOT IN (${list(view.skip)})` : '',
    view.merged.length ? `(NOT ${merged} OR ${name} IN (${list(view.merged)}))` : `NOT ${merged}`,
  ].filter(Boolean);
  return conditions.join(' AND ');
}

/**
 * Opens an in-memory DuckDB with the lake's tables and their views (the catalogue's by default),
 * and the cross-table views all of whose tables are among them. `lake` is a local folder or a
 * store (a bucket). Each query reads the table's files as they are then (DuckDB expands the glob),
 * in the generation current when the connection opened, less what a compaction committed by then
 * replaced; merged files a compaction commits later are left out until a new connection, while the
 * files they replace stay readable for the grace period (see visible.ts).
 */
export async function openLake(
  lake: string | LakeStore,
  tables: readonly TableDefinition[] = catalogue,
): Promise<DuckDBConnection> {
  const store = typeof lake === 'string' ? localStore(lake) : lake;
  const connection = await openDuckDB(store);
  for (const table of tables) {
    const folder = await currentFolder(store, table);
    const view = folder === undefined ? undefined : await readerView(store, folder);
    if (folder !== undefined && view !== undefined && view.files.length > 0) {
      const glob = `${store.url(folder)}/dt=*/*.parquet`;
      const select = await selectDeclared(connection, table, glob, { where: viewFilter(view) });
      await connection.run(`CREATE VIEW ${table.name} AS ${select}`);
    } else {
      await connection.run(
        `CREATE TABLE ${table.name} (${table.columns.map((c) => `${c.name} ${duckType(c)}`).join(', ')})`,
      );
    }
  }
  await defineBigQueryFunctions(connection);
  for (const view of viewsOf(tables)) {
    await connection.run(`CREATE VIEW ${view.name} AS ${inDuckDbDialect(viewSql(view, (name) => name))}`);
  }
  return connection;
}

/**
 * The views are written in BigQuery's SQL; where DuckDB reads the same text differently, it is
 * rewritten here. `UNNEST(a) AS x` names, in BigQuery, each element x; in DuckDB, a one-column
 * table x (whose column is `unnest`), so it becomes `UNNEST(a) AS x_items(x)`.
 */
export const inDuckDbDialect = (sql: string): string =>
  sql.replace(
    /\bUNNEST\(([^()]*)\) AS (\w+)\b(?!\s*\()/g,
    (_m, list: string, alias: string) => `UNNEST(${list}) AS ${alias}_items(${alias})`,
  );

/** DuckDB's errors for a file its glob listed that was gone when it came to read it. */
const vanished = /No such file or directory|No files found that match|HTTP 404|Not Found/;

/**
 * Opens the lake, runs `read` on it and closes it; when a file the query listed was removed before
 * it was read (a consumer removing what it never committed, a compaction's grace period ending,
 * retention), opens the lake again and reruns `read`, up to five times. What every one-shot reader
 * (npm run query, the report, the tests' accounting) should use.
 *
 * The tries are spaced (a quarter of a second, doubling): a compaction removes the files of every
 * day it merged one after another, and a read that fails at once on the first missing file, tried
 * again at once, had failed three times within the same removal on a busy machine.
 */
export async function readLake<T>(
  lake: string | LakeStore,
  read: (connection: DuckDBConnection) => Promise<T>,
  tables: readonly TableDefinition[] = catalogue,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let connection: DuckDBConnection | undefined;
    try {
      // Opening reads the files too (the views' DESCRIBE), so it is retried as well.
      connection = await openLake(lake, tables);
      return await read(connection);
    } catch (err) {
      if (attempt >= 5 || !vanished.test((err as Error).message)) throw err;
    } finally {
      connection?.closeSync();
    }
    await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
  }
}

/**
 * The BigQuery functions the shared view SQL calls that DuckDB lacks, as macros, so one text runs in
 * both (the emulator's translator turns them into DuckDB's own). UNIX_MICROS: no expression for
 * the time between two timestamps reads the same in both engines (BigQuery's TIMESTAMP_DIFF and
 * UNIX_* are not DuckDB's, DuckDB's DATE_DIFF and EXTRACT(EPOCH …) not BigQuery's).
 */
async function defineBigQueryFunctions(connection: DuckDBConnection): Promise<void> {
  // The lake's TIMESTAMP columns hold UTC without a zone, which epoch_us reads as UTC.
  await connection.run('CREATE MACRO unix_micros(ts) AS epoch_us(ts)');
  // A JSON scalar as text (NULL for JSON null, objects and arrays), as BigQuery's JSON_EXTRACT_SCALAR.
  await connection.run('CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)');
}
