// A flattened row in the two shapes BigQuery's APIs take it.
import type { Row } from '../../schemas/flattener.js';
import type { TableDeclaration } from '../../schemas/table.js';
import type { JSONRow } from './write-api.js';

/** Microseconds since the epoch as the RFC 3339 text the REST API accepts, microseconds kept. */
export function timestampText(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const iso = new Date(Number(ms)).toISOString(); // ....sssZ
  const sub = ((micros % 1000n) + 1000n) % 1000n;
  return `${iso.slice(0, -1)}${String(sub).padStart(3, '0')}Z`;
}

/** A row as the REST API's insertAll takes it: timestamps as text, absent lists as [] (BigQuery has no NULL array). */
export function toBigQueryRow(table: TableDeclaration, row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of table.columns) {
    const v = row[c.name];
    if (c.mode === 'REPEATED') out[c.name] = v ?? [];
    else if (c.type === 'TIMESTAMP') out[c.name] = typeof v === 'bigint' ? timestampText(v) : null;
    else out[c.name] = v ?? null;
  }
  return out;
}

/**
 * Text as BigQuery stores it: a lone surrogate (which JSON's \ud800 escapes let through) becomes
 * U+FFFD, as any UTF-8 encoder makes it, so that what fit.ts measures and cuts is what is sent.
 */
const wellFormed = (text: string) => (text.isWellFormed() ? text : text.toWellFormed());

/** What a column of `type` takes, for the message of a value it cannot take. */
const storageTypes = {
  STRING: { ok: (v: unknown) => typeof v === 'string', is: 'text' },
  INT64: { ok: (v: unknown) => typeof v === 'bigint' || Number.isSafeInteger(v), is: 'an integer' },
  TIMESTAMP: { ok: (v: unknown) => typeof v === 'bigint', is: 'microseconds since the epoch (bigint)' },
  BOOL: { ok: (v: unknown) => typeof v === 'boolean', is: 'true or false' },
} as const;

/**
 * A row as the Storage Write API's proto encoding takes it: TIMESTAMP and INT64 as decimal
 * integers (microseconds for a TIMESTAMP), absent lists as [], NULLs left out. The encoding would
 * turn a value of the wrong type into a zero or an empty string without a word, so each value is
 * checked first; a row with one that does not fit is returned as a problem naming the column.
 */
export function toStorageRow(table: TableDeclaration, row: Row): { json: JSONRow } | { problem: string } {
  const json: JSONRow = {};
  for (const c of table.columns) {
    const v = row[c.name];
    const type = storageTypes[c.type];
    if (c.mode === 'REPEATED') {
      const list = (v as unknown[] | null | undefined) ?? [];
      if (!Array.isArray(list) || !list.every(type.ok)) return { problem: `${c.name}: expected a list of ${type.is}` };
      json[c.name] = c.type === 'STRING' ? (list as string[]).map(wellFormed) : (list as string[]);
    } else if (v === null || v === undefined) {
      if (c.mode === 'REQUIRED') return { problem: `${c.name}: missing in a required column` };
    } else if (!type.ok(v)) {
      return { problem: `${c.name}: ${JSON.stringify(String(v))} is not ${type.is}` };
    } else if (c.type === 'STRING') {
      json[c.name] = wellFormed(v as string);
    } else {
      json[c.name] = c.type === 'BOOL' ? (v as boolean) : String(v);
    }
  }
  return { json };
}
