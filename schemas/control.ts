// Records of the control topic (thena.lake-control.v1, compacted: the latest record per key is the
// state). The rebuild, redrive and backfill commands write them; the consumer services follow the
// generation records.

/**
 * A table's generation in one sink, as a rebuild moves it on:
 * - `building`: generation `next` is being written from the whole history beside `current`;
 * - `freeze`: the services stop writing `current` (they commit and leave its consumer group), so
 *   the new generation can catch up with it exactly;
 * - `switched`: the views read `current` (the new one) and the services write it from where the
 *   rebuild left its consumer group;
 * - `done`: the old generation is removed.
 */
export interface GenerationRecord {
  kind: 'generation';
  table: string;
  sink: string;
  /** The generation the views read. */
  current: number;
  /** While building or frozen: the generation being built. */
  next?: number;
  /** Once switched: the generation the views read before, removed when done. */
  previous?: number;
  phase: 'building' | 'freeze' | 'switched' | 'done';
  /** The table version of `next` while building, of `current` once switched. */
  version: number;
  at: string;
}

/** What a redrive did with one dead-letter record, so a second redrive leaves it alone. */
export interface RedriveRecord {
  kind: 'redrive';
  topic: string;
  partition: number;
  offset: string;
  outcome: 'published' | 'inserted' | 'failed-again' | 'unchanged';
  /** For a record that failed again, where its new dead-letter record went. */
  detail?: string;
  at: string;
}

/**
 * Where a backfill (`npm run backfill`) stands, so a run killed part-way resumes and a finished one
 * is not repeated by accident. Written only after the events of the pages (or lines) it counts were
 * acknowledged; key: backfillKey(workspace, what was asked).
 */
export interface BackfillRecord {
  kind: 'backfill';
  workspace: string;
  /** What was asked, in words: the API and its range, or the file and its SHA-256. */
  source: string;
  /** `done`: the source was read to its end; a run finds it finished unless told --again. */
  phase: 'running' | 'done';
  /** What `done` counts: pages of the API, lines of a file. */
  unit: 'page' | 'line';
  /** Pages or lines read and published so far. */
  done: number;
  /** Where the source goes on from: the API's cursor for the next page, a file's byte offset. */
  resume?: string;
  /** The API's end of range as first resolved (--until defaults to the time of the first run). */
  until?: string;
  /** Request objects read, events published and dead letters published, over the whole backfill. */
  read: number;
  published: number;
  deadLettered: number;
  startedAt: string;
  at: string;
}

/**
 * One request (or ticket) erased from the sinks (`npm run erase`). Kafka's history still holds its
 * webhooks, so a rebuild leaves out the rows whose `column` is `value` in `workspace`.
 */
export interface ErasureRecord {
  kind: 'erasure';
  column: 'request_id' | 'ticket_id';
  value: string;
  workspace: string;
  at: string;
}

export type ControlRecord = GenerationRecord | RedriveRecord | BackfillRecord | ErasureRecord;

export const generationKey = (sink: string, table: string) => `generation/${sink}/${table}`;
export const redriveKey = (topic: string, partition: number, offset: string) =>
  `redrive/${topic}/${partition}/${offset}`;

export const erasureKey = (workspace: string, column: string, value: string) =>
  `erasure/${workspace}/${column}/${value}`;

/** `what` names what was asked without the workspace: `api/<since>/<until or now>`, `file/<sha256>`. */
export const backfillKey = (workspace: string, what: string) => `backfill/${workspace}/${what}`;
