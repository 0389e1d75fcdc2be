// RFC 8785 (JSON Canonicalization Scheme) for values that came out of JSON.parse: keys sorted by
// UTF-16 code units, no whitespace, strings and numbers serialised as ECMAScript's JSON.stringify
// does (which is what RFC 8785 prescribes). Written here rather than taken from `canonicalize`
// because this runs on every webhook (the event id is a hash of this text).
//
// Why it is shaped this way: one native JSON.stringify over the whole value is much faster than
// assembling the text piece by piece, and JSON.stringify writes an object's keys in property order;
// so the value is first walked into one whose objects hold their keys in UTF-16 order (an object
// already in order, with everything under it, is shared rather than copied). That cannot work for an
// object with an array-index key ("0", "9", "10", ... up to "4294967294"): V8 puts those first, in
// numeric order, whatever order they were inserted in, so "10" cannot come before "9". An object with
// one whose keys are out of order, a lone surrogate and anything not a JSON value send the whole value
// to canonicalJsonByHand (the former implementation), which decides them as before; they are rare in
// webhooks and cost ~15 % more than by hand alone. bench/jcs.ts: Thena's sample 8.7 µs against 20.3 by
// hand (2.3x), a 5.4 KB request with 20 activity items 26.7 µs against 65 (2.4x); with every object's
// keys out of order 1.7x and 1.9x.

export class CanonicalizationError extends Error {
  override name = 'CanonicalizationError';
}

/** The canonical text of a JSON value. Throws CanonicalizationError on a lone surrogate or a non-JSON value. */
export function canonicalJson(value: unknown): string {
  const ordered = inJcsOrder(value);
  if (ordered === undefined) return canonicalJsonByHand(value);
  const text = JSON.stringify(ordered);
  // JSON.stringify writes a lone surrogate as an escape, \ud800 to \udfff, and is otherwise sure to
  // write "\ud" only after an escaped backslash (a string holding the text "\ud83d"): the hand-built
  // path tells the two apart.
  return text.includes('\\ud') ? canonicalJsonByHand(value) : text;
}

/**
 * The same text as canonicalJson, built piece by piece: slower, but right for every object whatever
 * its keys. Exported for the tests and bench/jcs.ts, which measure canonicalJson against it.
 */
export function canonicalJsonByHand(value: unknown): string {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) throw new CanonicalizationError('a string holds a lone UTF-16 surrogate');
      return JSON.stringify(value);
    case 'number':
      // JSON.parse never yields NaN or Infinity; -0 serialises as 0, as RFC 8785 requires.
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(canonicalJsonByHand).join(',')}]`;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (!key.isWellFormed()) throw new CanonicalizationError('a key holds a lone UTF-16 surrogate');
        out += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${canonicalJsonByHand(record[key])}`;
      }
      return `${out}}`;
    }
    default:
      throw new CanonicalizationError(`a ${typeof value} is not a JSON value`);
  }
}

/**
 * `value` with every object's keys in UTF-16 order, sharing every part that already was; undefined
 * where JSON.stringify would not write the canonical text (see the header). Never mutates `value`.
 */
function inJcsOrder(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'object': {
      if (value === null) return value;
      // JSON.stringify writes anything but a plain array or object (a Date, a boxed string) otherwise.
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype === Array.prototype) return Array.isArray(value) ? arrayInOrder(value) : undefined;
      return prototype === Object.prototype ? objectInOrder(value as Record<string, unknown>) : undefined;
    }
    default:
      return undefined;
  }
}

function arrayInOrder(array: unknown[]): unknown[] | undefined {
  let copy: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const item: unknown = array[i];
    const ordered = inJcsOrder(item); // undefined for a hole, too
    if (ordered === undefined) return undefined;
    if (copy === undefined && ordered !== item) copy = array.slice(0, i);
    if (copy !== undefined) copy[i] = ordered;
  }
  return copy ?? array;
}

function objectInOrder(record: Record<string, unknown>): Record<string, unknown> | undefined {
  const keys = Object.keys(record);
  // Array-index keys come first in Object.keys, so the first key tells whether there is one.
  const first = keys[0];
  const reordered = !sortInPlace(keys);
  if (reordered && isArrayIndex(first!)) return undefined;
  let copy: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const child = record[key];
    const ordered = inJcsOrder(child);
    if (ordered === undefined) return undefined;
    if (copy === undefined && (reordered || ordered !== child)) {
      // Assigning "__proto__" would set the copy's prototype rather than add the key.
      if (Object.hasOwn(record, '__proto__')) return undefined;
      copy = {};
      for (let j = 0; j < i; j++) copy[keys[j]!] = record[keys[j]!];
    }
    if (copy !== undefined) copy[key] = ordered;
  }
  return copy ?? record;
}

/** "0" to "4294967294" written without leading zeros: the keys V8 orders as numbers. */
function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) <= 4294967294;
}

/**
 * Sorts keys by UTF-16 code units in place (`<` compares strings so, as the default sort does); true
 * if they already were. An insertion sort for the few keys most objects hold: with every object's keys
 * reversed, bench/jcs.ts took 34 µs on the 20 activity items against 41-47 with the native sort
 * everywhere; but it is quadratic, so more keys than that go to the native sort.
 */
function sortInPlace(keys: string[]): boolean {
  if (keys.length > 16) {
    for (let i = 1; i < keys.length; i++) {
      if (keys[i - 1]! > keys[i]!) {
        keys.sort();
        return false;
      }
    }
    return true;
  }
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    if (keys[j]! <= key) continue;
    sorted = false;
    do {
      keys[j + 1] = keys[j]!;
      j--;
    } while (j >= 0 && keys[j]! > key);
    keys[j + 1] = key;
  }
  return sorted;
}
