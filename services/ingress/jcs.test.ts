import { describe, expect, it } from 'vitest';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { CanonicalizationError, canonicalJson } from './jcs.js';
import { seed } from '../../test/fixtures/webhooks.js';

// Keys that sort differently by UTF-16 code unit than by code point, that look like numbers without
// being array indices, and any text.
const textKey = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('', 'a', 'A', 'é', '\ufb33', '\ud83d\ude00', '!', '\\ud83d') },
  { weight: 1, arbitrary: fc.constantFrom('4294967295', '4294967296', '-1', '01', '1.5', '1e3', ' 1') },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
);
// Array indices, which V8 orders as numbers before every other key (JSON.stringify cannot write them
// in JCS order); keys an object or JSON.stringify treats specially.
const anyKey = fc.oneof(
  { weight: 6, arbitrary: textKey },
  { weight: 1, arbitrary: fc.constantFrom('0', '9', '10', '4294967294') },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4294967294 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'toJSON', 'constructor') },
);

const scalar = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('\u2028', '\\ud83d', '"\\\u0000\u001f\u007f'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);

/** JSON values a few levels deep whose objects hold such keys, in the order they were generated. */
const jsonTree = (key: fc.Arbitrary<string>) =>
  fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', maxDepth: 5 },
      scalar,
      fc.array(tie('node'), { maxLength: 4 }),
      fc.dictionary(key, tie('node'), { maxKeys: 8, noNullPrototype: true }),
    ),
  })).node;

/** An object with more keys than the insertion sort takes. */
const wideObject = (key: fc.Arbitrary<string>) =>
  fc.dictionary(key, fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: jsonTree(textKey) }), {
    minKeys: 17,
    maxKeys: 60,
    noNullPrototype: true,
  });

/** Any JSON value: most of them without array-index keys, which send the whole value down the slow path. */
const anyValue = fc.oneof(
  { weight: 3, arbitrary: jsonTree(textKey) },
  { weight: 3, arbitrary: jsonTree(anyKey) },
  { weight: 1, arbitrary: wideObject(textKey) },
  { weight: 1, arbitrary: wideObject(anyKey) },
);

const loneSurrogate = fc
  .tuple(fc.string({ maxLength: 3 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 3 }))
  .map(([before, unit, after]) => `${before}${String.fromCharCode(unit)}${after}`);

/** `value` with `bad` added to its n-th string or key (counted modulo their number), or beside it if it has none. */
function withLoneSurrogate(value: unknown, bad: string, n: number): unknown {
  let slots = 0;
  const count = (v: unknown): void => {
    if (typeof v === 'string') slots++;
    else if (Array.isArray(v)) v.forEach(count);
    else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        count(k);
        count(child);
      }
    }
  };
  count(value);
  if (slots === 0) return [value, bad];
  let left = n % slots;
  const spoil = (s: string): string => (left-- === 0 ? `${s}${bad}` : s);
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') return spoil(v);
    if (Array.isArray(v)) return v.map(visit);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(Object.entries(v).map(([k, child]) => [spoil(k), visit(child)]));
  };
  return visit(value);
}

/** Freezes `value` and everything in it, so a write to any part of it throws. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}

// The properties below take well under a second each; the timeout is for a machine busy with more.
const property = { timeout: 20_000 };

/** What the webhook route hands canonicalJson: the value as JSON.parse gives it back. */
const reparsed = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('canonicalJson (RFC 8785)', () => {
  it.each([
    // RFC 8785 section 3.2.3's example, and its number serialisation table (appendix B).
    [
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    ],
    ['[-0, 1e21, 1e-7, 9007199254740993]', '[0,1e+21,1e-7,9007199254740992]'],
    // Keys sort by UTF-16 code units: "\ud83d\ude00" (an emoji) sorts before "\ufb33".
    ['{"\\ufb33":1,"\\ud83d\\ude00":2,"a":3,"A":4,"":5}', '{"":5,"A":4,"a":3,"\ud83d\ude00":2,"\ufb33":1}'],
    // Array-index keys, which V8 keeps first and in numeric order, still sort as text.
    ['{"b":1,"10":2,"9":3,"!":4}', '{"!":4,"10":2,"9":3,"b":1}'],
    ['{"z":{"10":[{"9":0,"10":1}]},"0":1,"1":2}', '{"0":1,"1":2,"z":{"10":[{"10":1,"9":0}]}}'],
    ['{"4294967295":1,"4294967294":2,"01":3,"-1":4}', '{"-1":4,"01":3,"4294967294":2,"4294967295":1}'],
    // An own "__proto__" key is a key like any other.
    ['{"b":1,"__proto__":{"y":1,"x":2}}', '{"__proto__":{"x":2,"y":1},"b":1}'],
    // The text "\\ud83d" (not a surrogate) is escaped as text.
    ['["\\\\ud83d","\\\\\\ud83d\\ude00"]', '["\\\\ud83d","\\\\\ud83d\ude00"]'],
  ])('%s', (input, expected) => {
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });

  it('agrees with the canonicalize library on the seed sample and variations', () => {
    const values: unknown[] = [
      seed,
      seed.request,
      [seed, { z: [1.5, -2, 'x\u2028y'], y: null }],
      { nested: { a: [{}, []] } },
    ];
    for (const value of values) expect(canonicalJson(value)).toBe(canonicalize(value));
  });

  it.each(['"\\ud800"', '{"\\udc00":1}', '["ok","\\ud83d"]'])('refuses a lone surrogate: %s', (input) => {
    expect(() => canonicalJson(JSON.parse(input))).toThrow(CanonicalizationError);
  });

  it('agrees with the canonicalize library on any JSON value', property, () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
        expect(canonicalJson(reparsed(value))).toBe(canonicalize(value));
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with the canonicalize library whatever the keys and their order', property, () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
        expect(canonicalJson(reparsed(value))).toBe(canonicalize(value));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a lone surrogate in any string or key', property, () => {
    fc.assert(
      fc.property(anyValue, loneSurrogate, fc.nat(), (value, bad, n) => {
        const spoilt = withLoneSurrogate(value, bad, n);
        expect(() => canonicalJson(spoilt)).toThrow(CanonicalizationError);
        expect(() => canonicalJson(reparsed(spoilt))).toThrow(CanonicalizationError);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves the value as it was', property, () => {
    fc.assert(
      fc.property(anyValue, (generated) => {
        const value = reparsed(generated);
        const text = JSON.stringify(value);
        const copy = structuredClone(value);
        const canonical = canonicalJson(deepFreeze(value));
        expect(JSON.stringify(value)).toBe(text); // the same keys in the same order
        expect(value).toEqual(copy);
        expect(canonicalJson(copy)).toBe(canonical);
      }),
      { numRuns: 200 },
    );
  });
});
