import { describe, expect, it } from 'vitest';
import canonicalize from 'canonicalize';
import { CanonicalizationError, canonicalJson } from './jcs.js';
import { seed } from '../../test/fixtures/webhooks.js';

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
});
