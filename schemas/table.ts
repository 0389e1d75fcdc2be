// What a table is, as every part of the pipeline sees it: the columns and keys (TableDeclaration,
// from which the Parquet and BigQuery schemas are derived), and what fills and serves it
// (TableDefinition: the consumer that flattens events into it, its views, its privacy rules).
// The tables themselves are declared under tables/, one folder each, and listed in
// tables/catalogue.ts.
//
// Row values handed to the sinks: STRING -> string | null, INT64 -> number | null (values stay
// within 2^53), TIMESTAMP -> bigint microseconds since the epoch (UTC) | null, BOOL ->
// boolean | null, mode REPEATED -> string[] | null (null: the field was absent).
import type { Flattener, Row } from './flattener.js';
import { defaultWorkspace } from './workspace.js';

/**
 * TIMESTAMP values must lie within ±(2^53 − 1) µs of the epoch (about 1685 to 2255): exact in a
 * JavaScript number and writable by the Parquet writer. Flatteners turn anything outside into NULL.
 */
export const maxTimestampMicros = BigInt(Number.MAX_SAFE_INTEGER);

export type ColumnType = 'STRING' | 'INT64' | 'TIMESTAMP' | 'BOOL';
export type ColumnMode = 'REQUIRED' | 'NULLABLE' | 'REPEATED';

export interface ColumnDeclaration {
  name: string;
  type: ColumnType;
  mode: ColumnMode;
  description: string;
  /**
   * Personal data, for the opt-in pseudonymisation (PSEUDONYMIZATION_KEY): `identity` values (names,
   * e-mail addresses) become keyed hashes; `text` keeps its words but its e-mail addresses become
   * keyed hashes; `payload` is JSON whose identity fields and texts are treated the same way (text
   * that does not parse as JSON has its e-mail addresses and `"name": "…"`-style members hashed);
   * `drift` is a REPEATED column of payload-drift findings whose examples' strings become keyed hashes.
   */
  personal?: 'identity' | 'text' | 'payload' | 'drift';
  /**
   * What the column reads as in rows written before it existed (both engines' base references
   * apply it): the `workspace` column reads `default` in files and tables from before workspaces.
   */
  absentAs?: string;
}

export interface TableDeclaration {
  name: string;
  description: string;
  columns: readonly ColumnDeclaration[];
  /** Columns that identify a fact: the views keep one row per key, BigQuery's insertId is built from it. */
  factKey: readonly string[];
  /** Day partitioning (lake: dt=YYYY-MM-DD; BigQuery: time partitioning) is on this column. */
  partitionColumn: 'event_time' | 'received_at';
  clustering: readonly string[];
}

/**
 * The workspace column every table starts with: NULLABLE so that adding it to an existing BigQuery
 * table is an additive change; the flatteners always fill it, and older rows read as `default`.
 */
export const workspaceColumn: ColumnDeclaration = {
  name: 'workspace',
  type: 'STRING',
  mode: 'NULLABLE',
  description:
    "The Thena workspace: named by the ingress token (request webhooks) or the orgId (platform events); 'default' when unknown.",
  absentAs: defaultWorkspace,
};

/**
 * The column every table ends with: the columns whose values were cut so that the row fits what a
 * sink takes in one row (BigQuery: BIGQUERY_APPEND_MAX_BYTES per append). Empty when nothing was
 * cut, which is always so in the lake: it keeps every row whole (docs/guarantees.md).
 */
export const truncatedColumnsColumn: ColumnDeclaration = {
  name: 'truncated_columns',
  type: 'STRING',
  mode: 'REPEATED',
  description:
    'Columns whose values were cut (on UTF-8 character boundaries; JSON columns stay valid JSON) to fit the sink; empty when none.',
};

/** The flatteners' value of `truncated_columns`: nothing cut (a sink that cuts sets its own). */
export const nothingTruncated: readonly string[] = Object.freeze([]);

/** A column declaration in one line. */
export const column = (
  name: string,
  type: ColumnType,
  mode: ColumnMode,
  description: string,
  personal?: ColumnDeclaration['personal'],
): ColumnDeclaration => ({ name, type, mode, description, ...(personal ? { personal } : {}) });

/**
 * A view shipped with a table, the same SQL in DuckDB and BigQuery. `{{name}}` stands for a table
 * or an earlier view (each engine says how to name it); `{{fact_key}}` for the table's fact key.
 * The SQL is BigQuery's wherever DuckDB reads it the same; the one BigQuery function DuckDB lacks
 * that views may call, UNIX_MICROS, the lake's DuckDB defines as a macro (services/lake/duckdb.ts).
 */
export interface ViewDeclaration {
  name: string;
  sql: string;
}

/**
 * Views that read several tables' views (the metric views over the request tables), so they belong
 * to no one table. Both engines create them after every table's own views, and only where every
 * table in `reads` is present (an engine opened on a few tables leaves them out). They name the
 * tables' views, never a table or its generation, so a rebuild's switch, which replaces a table's
 * own views, leaves them reading the new generation unchanged. `{{fact_key}}` means nothing here.
 */
export interface CrossTableViews {
  /** The tables whose views they read. */
  reads: readonly string[];
  /** In creation order; a view may read an earlier one. */
  views: readonly ViewDeclaration[];
}

/** The consumer service that fills a table: one process, one consumer group per sink. */
export interface ConsumerDeclaration {
  /** Service name, e.g. 'request-activity'; also names its consumer groups. */
  service: string;
  topic: string;
  flatten: Flattener;
  /** Port of its /healthz, /readyz and /metrics under `npm start` (before LOCAL_PORT_OFFSET). */
  metricsPort: number;
}

export interface PrivacyRules {
  /** Names a row's free texts may repeat beyond its identity columns (a CSAT rater inside the feedback HTML). */
  namesInText?: (row: Row) => string[];
}

export interface TableDefinition extends TableDeclaration {
  /**
   * Raised when the flattener changes what it writes for events already written (a fix, a column
   * older events can fill): `npm run migrate` then reports the table behind, and
   * `npm run rebuild` writes a new generation of it from the whole history with this version.
   */
  version: number;
  consumer: ConsumerDeclaration;
  /** In creation order; a view may read an earlier one. */
  views: readonly ViewDeclaration[];
  /** The view that gives each fact of the table once: what analysts count, and the accounting checks. */
  factView: string;
  privacy?: PrivacyRules;
}
