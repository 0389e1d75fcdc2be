// The appends a batch of rows becomes in the BigQuery sink: rows encoded for the Storage Write API
// (rows.ts), each fitted into one append (fit.ts), packed into appends of at most the configured
// size; and, when the server still refuses an append for its size, what to send instead.
import type { Row } from '../../schemas/flattener.js';
import type { TableDeclaration } from '../../schemas/table.js';
import { fitRow, rowBytes } from './fit.js';
import { toStorageRow } from './rows.js';
import type { JSONRow } from './write-api.js';

/** A row refused as too large is cut to half its size and tried again, down to this size. */
const smallestRowBytes = 64 * 1024;

export interface Append {
  rows: Row[];
  json: JSONRow[];
}

/**
 * Splits rows into appends of at most `maxBytes`; a row larger than that alone is cut to fit
 * (fit.ts). Rows that cannot be encoded for their columns, or not fit, go to `refused`.
 */
export function appendsOf(
  table: TableDeclaration,
  rows: Row[],
  maxBytes: number,
  refused: (row: Row, message: string) => void,
): Append[] {
  const out: Append[] = [];
  let current: Append = { rows: [], json: [] };
  let bytes = 0;
  for (const row of rows) {
    const encoded = toStorageRow(table, row);
    if ('problem' in encoded) {
      refused(row, encoded.problem);
      continue;
    }
    const fitted = fitRow(table, encoded.json, maxBytes);
    if ('problem' in fitted) {
      refused(row, `too large for one append of ${maxBytes} bytes: ${fitted.problem}`);
      continue;
    }
    const size = rowBytes(fitted.json);
    if (current.rows.length > 0 && bytes + size > maxBytes) {
      out.push(current);
      current = { rows: [], json: [] };
      bytes = 0;
    }
    current.rows.push(row);
    current.json.push(fitted.json);
    bytes += size;
  }
  if (current.rows.length > 0) out.push(current);
  return out;
}

/**
 * What to send instead of an append the server refused for its size: its two halves, or, for one
 * row, the row cut to half its size. Throws (not retryable) once a row is small enough that its
 * size cannot be what the server objects to.
 */
export function smallerAppends(table: TableDeclaration, append: Append, message: string): Append[] {
  if (append.rows.length > 1) {
    const half = Math.ceil(append.rows.length / 2);
    return [
      { rows: append.rows.slice(0, half), json: append.json.slice(0, half) },
      { rows: append.rows.slice(half), json: append.json.slice(half) },
    ];
  }
  const bytes = rowBytes(append.json[0]!);
  const fitted = bytes > smallestRowBytes ? fitRow(table, append.json[0]!, Math.floor(bytes / 2)) : undefined;
  if (!fitted || 'problem' in fitted)
    throw new Error(`BigQuery refuses a row of ${bytes} bytes of ${table.name} as too large: ${message}`);
  return [{ rows: append.rows, json: [fitted.json] }];
}
