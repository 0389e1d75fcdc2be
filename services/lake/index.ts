// The lake's public surface: the sink the consumer services write through, its generations (for
// rebuilds), and DuckDB over it.
export { parquetSink, lakeFilePattern, dayOf } from './sink.js';
export { lakeGenerations } from './generations.js';
export { openLake } from './duckdb.js';
