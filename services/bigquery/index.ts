// The BigQuery side's public surface: the sink the consumer services write through, and the
// migration that creates the dataset, tables and views (npm run migrate, npm start, the services).
export { bigQuerySink, insertIdFor, insertLimits, timestampText, toBigQueryRow } from './sink.js';
export { migrate, MigrationError, type MigrateOptions, type MigrationReport } from './migrate.js';
export { bigQueryGenerations, generationTable } from './generations.js';
export { eraseFromBigQuery } from './erasure.js';
