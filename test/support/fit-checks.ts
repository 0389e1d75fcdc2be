// The checks of fitRow's promise (services/bigquery/fit.ts) on rows of any size, for the property
// test of accepted bodies: plain checks rather than expect(), since rows run to tens of thousands
// per case.
import type { TableDefinition } from '../../schemas/table.js';
import { fitRow, isJsonColumn, rowBytes } from '../../services/bigquery/fit.js';
import type { JSONRow } from '../../services/bigquery/write-api.js';

/** Thrown where a promise is broken: plain checks, since rows run to tens of thousands per case. */
function fail(message: string): never {
  throw new Error(message);
}

const same = (a: unknown, b: unknown) =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b;

/**
 * fitRow's promise: the row within maxBytes, what was cut named, cut texts prefixes on character
 * boundaries. Returns whether anything was cut.
 */
export function checkFit(table: TableDefinition, original: JSONRow, maxBytes: number): boolean {
  const where = `${table.name} at ${maxBytes} bytes`;
  const fitted = fitRow(table, original, maxBytes);
  if ('problem' in fitted) fail(`${where}: fitRow refuses a row of ${rowBytes(original)} bytes: ${fitted.problem}`);
  const { json, truncated } = fitted;
  const size = rowBytes(json);
  if (size > maxBytes) fail(`${where}: the fitted row is ${size} bytes (cut: ${truncated.join(', ')})`);
  if (!same(json.truncated_columns, truncated)) {
    fail(`${where}: truncated_columns ${JSON.stringify(json.truncated_columns)}, but cut ${JSON.stringify(truncated)}`);
  }
  for (const c of table.columns) {
    if (c.name === 'truncated_columns') continue;
    const before = original[c.name];
    const after = json[c.name];
    const what = `${where}, column ${c.name}`;
    const changed = !same(after, before);
    if (!truncated.includes(c.name)) {
      if (changed) fail(`${what}: changed, but not named in truncated_columns`);
    } else if (!changed) {
      fail(`${what}: named in truncated_columns, but unchanged`);
    } else if (Array.isArray(before)) {
      if (!Array.isArray(after) || !same(before.slice(0, after.length), after))
        fail(`${what}: the cut list is not a prefix`);
    } else if (isJsonColumn(c.name)) {
      checkJsonCut(what, before as string, after);
    } else {
      checkTextCut(what, before as string, after);
    }
  }
  return truncated.length > 0;
}

function checkTextCut(what: string, before: string, after: unknown): void {
  if (typeof after !== 'string') fail(`${what}: the cut text is ${JSON.stringify(after)}, not text`);
  if (!before.startsWith(after)) {
    const a = [...after];
    const b = [...before];
    const at = a.findIndex((ch, i) => ch !== b[i]);
    fail(
      `${what}: the cut text (${after.length} of ${before.length} UTF-16 units) is not a prefix of the value; ` +
        `first difference at character ${at}: ${JSON.stringify(a[at])} for ${JSON.stringify(b[at])}`,
    );
  }
  if (splitsPair(before, after)) fail(`${what}: the cut splits a surrogate pair`);
}

/** `prefix` of `whole` ends in the first half of a surrogate pair whose second half `whole` has next. */
function splitsPair(whole: string, prefix: string): boolean {
  const last = prefix.charCodeAt(prefix.length - 1);
  const next = whole.charCodeAt(prefix.length);
  return last >= 0xd800 && last <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
}

/** A cut JSON column is absent, NULL, or a JSON document of the same shape whose strings are prefixes. */
function checkJsonCut(what: string, before: string, after: unknown): void {
  if (after === undefined || after === null || after === 'null') return;
  if (typeof after !== 'string') fail(`${what}: the cut JSON is ${JSON.stringify(after)}, not text`);
  let doc: unknown;
  try {
    doc = JSON.parse(after);
  } catch (err) {
    fail(`${what}: the cut JSON does not parse: ${(err as Error).message}`);
  }
  const problem = shapeProblem(doc, JSON.parse(before), '');
  if (problem !== undefined) fail(`${what}: the cut JSON is not the document with its strings cut, at ${problem}`);
}

/** Where `cut` is not `whole` with its strings cut as texts are (undefined when it is). */
function shapeProblem(cut: unknown, whole: unknown, path: string): string | undefined {
  if (typeof whole === 'string') {
    return typeof cut === 'string' && whole.startsWith(cut) && !splitsPair(whole, cut) ? undefined : path;
  }
  if (whole === null || typeof whole !== 'object') return Object.is(cut, whole) ? undefined : path;
  if (typeof cut !== 'object' || cut === null || Array.isArray(cut) !== Array.isArray(whole)) return path;
  const keys = Object.keys(whole);
  if (Object.keys(cut).join('\u0000') !== keys.join('\u0000')) return `${path} (keys)`;
  for (const k of keys) {
    const p = shapeProblem((cut as Record<string, unknown>)[k], (whole as Record<string, unknown>)[k], `${path}/${k}`);
    if (p !== undefined) return p;
  }
  return undefined;
}
