// The lake's public surface: the sink the consumer services write through, the stores it lives in
// (a folder or a bucket), its generations (for rebuilds), compaction and retention, and DuckDB over it.
//
// What runs DuckDB (the readers, compaction, erasure) is loaded on its first call, not with this
// index: a consumer service imports it for the sink and the stores and never reads through DuckDB,
// whose native module took about 0.35 CPU-s of every service's start.
import type * as Readers from './duckdb.js';
import type * as Compaction from './compaction.js';
import type * as Erasure from './erasure.js';

export { parquetSink, lakeFilePattern, dayOf } from './sink.js';
export { lakeGenerations, currentFolder } from './generations.js';
export { lakeStoreFrom, openStore, ensureBucket } from './stores/index.js';
export { parseLakeLocation, describeLocation, type LakeStore, type LakeLocation } from './store.js';
export { visibleFiles } from './visible.js';

export const openLake: typeof Readers.openLake = async (...args) => (await import('./duckdb.js')).openLake(...args);
export const readLake: typeof Readers.readLake = async (lake, read, tables) =>
  (await import('./duckdb.js')).readLake(lake, read, tables);
export const compact: typeof Compaction.compact = async (o) => (await import('./compaction.js')).compact(o);
export const eraseFromLake: typeof Erasure.eraseFromLake = async (o) => (await import('./erasure.js')).eraseFromLake(o);
