// The lake's public surface: the sink the consumer services write through, the stores it lives in
// (a folder or a bucket), its generations (for rebuilds), compaction and retention, and DuckDB over it.
export { parquetSink, lakeFilePattern, dayOf } from './sink.js';
export { lakeGenerations, currentFolder } from './generations.js';
export { openLake, readLake } from './duckdb.js';
export { lakeStoreFrom, openStore, ensureBucket } from './stores/index.js';
export { parseLakeLocation, describeLocation, type LakeStore, type LakeLocation } from './store.js';
export { visibleFiles } from './visible.js';
export { compact, daysBefore } from './compaction.js';
export { eraseFromLake } from './erasure.js';
