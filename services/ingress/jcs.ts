// RFC 8785 (JSON Canonicalization Scheme) for values that came out of JSON.parse: keys sorted by
// UTF-16 code units, no whitespace, strings and numbers serialised as ECMAScript's JSON.stringify
// does (which is what RFC 8785 prescribes). Written here rather than taken from `canonicalize`
// because this runs on every webhook: `isWellFormed()` checks a string natively where the library
// walks it character by character; the result is the same (jcs.test.ts checks it against the
// library and the RFC's examples).

export class CanonicalizationError extends Error {
  override name = 'CanonicalizationError';
}

/** The canonical text of a JSON value. Throws CanonicalizationError on a lone surrogate. */
export function canonicalJson(value: unknown): string {
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
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (!key.isWellFormed()) throw new CanonicalizationError('a key holds a lone UTF-16 surrogate');
        out += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${canonicalJson(record[key])}`;
      }
      return `${out}}`;
    }
    default:
      throw new CanonicalizationError(`a ${typeof value} is not a JSON value`);
  }
}
