// The BigQuery side's public surface: the sink the consumer services write through, and the
// migration that creates the dataset, tables and views (npm run migrate, npm start, the services).
export { bigQuerySink, rowIdentity } from './sink.js';
export { timestampText, toBigQueryRow, toStorageRow } from './rows.js';
export { createWriteClient, type WriteClient } from './write-api.js';
export {
  declaredDigest,
  migrate,
  migrateOnStart,
  MigrationError,
  type MigrateOptions,
  type MigrationReport,
} from './migrate.js';
export { bigQueryGenerations, generationTable } from './generations.js';
export { eraseFromBigQuery } from './erasure.js';
