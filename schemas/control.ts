// Records of the control topic (thena.lake-control.v1, compacted: the latest record per key is the
// state). The rebuild and redrive commands write them; the consumer services follow the
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

export type ControlRecord = GenerationRecord | RedriveRecord;

export const generationKey = (sink: string, table: string) => `generation/${sink}/${table}`;
export const redriveKey = (topic: string, partition: number, offset: string) =>
  `redrive/${topic}/${partition}/${offset}`;
