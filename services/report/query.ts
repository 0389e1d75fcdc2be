// How the report queries the lake: its filters, and a reader that runs a figure's SQL with the
// filters' parameters and reports each query as a step.
import type { DuckDBConnection } from '@duckdb/node-api';

export interface Filters {
  /** One workspace; all of them when absent. */
  workspace?: string;
  /** YYYY-MM-DD (UTC). */
  since?: string;
  /** Rows of the slowest-open table (20 by default). */
  slowest?: number;
}

/** A query done: what it read, from which view, how many rows it gave and how long it took. */
export interface Step {
  what: string;
  view: string;
  rows: number;
  ms: number;
}

export type Read = <T>(what: string, view: string, sql: string) => Promise<T[]>;

/** Runs the figures' queries through `read`, binding only the parameters each one names. */
export function reader(connection: DuckDBConnection, filters: Filters, onStep: (step: Step) => void): Read {
  const values: Record<string, string | null> = {
    workspace: filters.workspace ?? null,
    since: filters.since ?? null,
  };
  return async <T>(what: string, view: string, sql: string) => {
    const started = performance.now();
    const bound = Object.fromEntries(Object.entries(values).filter(([name]) => sql.includes(`$${name}`)));
    const rows = (await connection.runAndReadAll(sql, bound)).getRowObjectsJson() as unknown as T[];
    onStep({ what, view, rows: rows.length, ms: performance.now() - started });
    return rows;
  };
}
