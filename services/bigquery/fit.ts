// Fitting a row into what BigQuery takes in one append. A body at the ingress's limit (4 MiB) can
// become a row of three times that (request_events keeps the description as HTML and as text, and
// the whole payload as JSON), past BigQuery's 10 MB per AppendRows request and far past an
// emulator's 4 MiB. Such a row is written with its largest values cut: texts on UTF-8 character
// boundaries, JSON values by shortening the strings inside them so that they stay valid JSON.
// The row names what was cut in `truncated_columns`; nothing is cut silently. The lake keeps every
// row whole (docs/guarantees.md).
import type { TableDeclaration } from '../../schemas/table.js';
import { truncatedColumnsColumn } from '../../schemas/table.js';
import type { JSONRow } from './write-api.js';

/** Columns never cut: they identify the row (a cut one would no longer find its fact). */
const neverCut = new Set(['event_id', 'workspace']);

/** A column holding JSON text: cut, it must stay a JSON document. */
export const isJsonColumn = (name: string) => name.endsWith('_json');

type Value = JSONRow[string];

/** Bytes of a value in the proto encoding the Write API sends: its UTF-8 bytes and a few of framing. */
function valueBytes(v: Value): number {
  if (typeof v === 'string') return Buffer.byteLength(v) + 6;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + valueBytes(x as Value), 0);
  return 12;
}

/** The size of a row as an append carries it, an upper bound of its proto encoding. */
export function rowBytes(json: JSONRow): number {
  let n = 0;
  for (const v of Object.values(json)) n += valueBytes(v);
  return n;
}

/** `text` cut to at most `maxBytes` of UTF-8, on a character boundary. */
export function cutText(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const bytes = Buffer.from(text);
  let end = Math.max(0, maxBytes);
  // Back off continuation bytes (10xxxxxx) so that no character is split.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString();
}

/** A list cut to its first elements that fit in `maxBytes`. */
function cutList(list: string[], maxBytes: number): string[] {
  const out: string[] = [];
  let n = 0;
  for (const x of list) {
    n += valueBytes(x);
    if (n > maxBytes) break;
    out.push(x);
  }
  return out;
}

/** `s` cut to at most `chars` UTF-16 units, never between the halves of a surrogate pair. */
function cutChars(s: string, chars: number): string {
  if (s.length <= chars) return s;
  const code = s.charCodeAt(chars - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? chars - 1 : chars);
}

function withStringsCut(value: unknown, chars: number): unknown {
  if (typeof value === 'string') return cutChars(value, chars);
  if (Array.isArray(value)) return value.map((v) => withStringsCut(v, chars));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = withStringsCut(v, chars);
    return out;
  }
  return value;
}

function longestString(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => Math.max(n, longestString(v)), 0);
  if (value && typeof value === 'object')
    return Object.values(value).reduce((n: number, v) => Math.max(n, longestString(v)), 0);
  return 0;
}

/**
 * A JSON document in at most `maxBytes`: its strings cut to the longest length that fits (found
 * by bisection), structure and keys kept. `undefined` when even empty strings do not fit (a vast
 * array), or when the text is not JSON at all.
 */
export function cutJson(text: string, maxBytes: number): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const fits = (chars: number) => {
    const out = JSON.stringify(withStringsCut(doc, chars));
    return Buffer.byteLength(out) <= maxBytes ? out : undefined;
  };
  let best = fits(0);
  if (best === undefined) return undefined;
  let lo = 0;
  let hi = longestString(doc);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const out = fits(mid);
    if (out === undefined) hi = mid - 1;
    else {
      best = out;
      lo = mid;
    }
  }
  return best;
}

/**
 * The largest `cap` such that cutting every value above `cap` bytes down to it brings `sizes` to
 * at most `room` in all ("water-filling": the largest values are cut, equally, and no other).
 */
function capFor(sizes: number[], room: number): number {
  const sorted = [...sizes].sort((a, b) => b - a);
  let rest = sorted.reduce((a, b) => a + b, 0);
  for (let i = 0; i < sorted.length; i++) {
    // Values 0..i are cut to the cap; the others stay whole.
    rest -= sorted[i]!;
    const cap = Math.floor((room - rest) / (i + 1));
    if (cap >= (sorted[i + 1] ?? 0)) return Math.max(0, cap);
  }
  return 0;
}

export type FitResult = { json: JSONRow; truncated: string[] } | { problem: string };

/**
 * The row within `maxBytes` (as rowBytes counts), its largest cuttable values cut, and the names
 * of the columns cut, also written into its `truncated_columns`. A problem when the row cannot fit
 * even with every cuttable value emptied (its identity alone is larger). Pure and deterministic:
 * the same row always comes out the same.
 */
export function fitRow(table: TableDeclaration, json: JSONRow, maxBytes: number): FitResult {
  const flagName = truncatedColumnsColumn.name;
  const hasColumn = table.columns.some((c) => c.name === flagName);
  // A row cut before (a second, smaller try) keeps naming what was cut then.
  const before = Array.isArray(json[flagName]) ? (json[flagName] as string[]) : [];
  const flagged = (row: JSONRow, names: string[]) => (hasColumn ? { ...row, [flagName]: names } : row);
  if (rowBytes(json) <= maxBytes) return { json: flagged(json, before), truncated: before };

  const cuttable = table.columns.filter((c) => c.type === 'STRING' && !neverCut.has(c.name) && c.name !== flagName);
  const names = cuttable.map((c) => c.name).filter((n) => json[n] !== undefined);
  // Room for the names of every cuttable column in truncated_columns.
  const flagRoom = names.reduce((n, name) => n + valueBytes(name), 0);
  const fixed = rowBytes(json) - names.reduce((n, name) => n + valueBytes(json[name]!), 0);
  const room = maxBytes - fixed - flagRoom;
  if (room < 0) return { problem: `the row is ${rowBytes(json)} bytes, and ${fixed} of them cannot be cut` };

  const cap = capFor(
    names.map((n) => valueBytes(json[n]!)),
    room,
  );
  const out: JSONRow = { ...json };
  const truncated = [...before];
  for (const name of names) {
    const v = json[name]!;
    if (valueBytes(v) <= cap) continue;
    if (!truncated.includes(name)) truncated.push(name);
    const budget = Math.max(0, cap - 6);
    if (Array.isArray(v)) out[name] = cutList(v as string[], cap);
    else if (typeof v !== 'string') continue;
    else if (isJsonColumn(name)) {
      const cut = cutJson(v, budget);
      const required = table.columns.find((c) => c.name === name)?.mode === 'REQUIRED';
      // Never half a document: the JSON with its strings shortened, or none at all.
      if (cut !== undefined) out[name] = cut;
      else if (required) out[name] = 'null';
      else delete out[name];
    } else out[name] = cutText(v, budget);
  }
  return { json: flagged(out, truncated), truncated };
}
