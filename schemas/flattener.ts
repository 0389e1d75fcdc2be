// The contract between the consuming runtime and a table's flattener: a Kafka message in, and what
// happened out: rows to write, or a reason to send the message to the dead-letter topic. A
// flattener is pure; the runtime acts on its result.

/** A row as the sinks take it; see schemas/table.ts for the value of each column type. */
export type Row = Record<string, unknown>;

/** A Kafka message as a flattener sees it. */
export interface SourceMessage {
  topic: string;
  partition: number;
  offset: string;
  /** The message's value as text (decoded when first read: a flattener that reads a header may not need it). */
  readonly value: string;
  /** A header of the message as text, or undefined. */
  header?: (name: string) => string | undefined;
}

export type FlattenResult =
  | {
      kind: 'rows';
      rows: Row[];
      /** Things worth counting, e.g. unreadable CSAT entries; become metrics. */
      counts?: Record<string, number>;
    }
  | {
      /** The message cannot be flattened: it goes to the dead-letter topic with this reason. */
      kind: 'dead-letter';
      reason: string;
      message: string;
    };

export type Flattener = (message: SourceMessage) => FlattenResult;

export const rows = (out: Row[], counts?: Record<string, number>): FlattenResult =>
  counts ? { kind: 'rows', rows: out, counts } : { kind: 'rows', rows: out };

export const deadLetter = (reason: string, message: string): FlattenResult => ({
  kind: 'dead-letter',
  reason,
  message,
});
