import { describe, expect, it } from 'vitest';
import { bool, htmlToText, int, isoMicros, slackMicros, stringList, text } from './convert.js';

describe('conversions', () => {
  it.each([
    ['2023-08-23T22:51:21.912Z', 1692831081912000n],
    ['2023-08-23T22:51:21Z', 1692831081000000n],
    ['2023-08-23T22:51:21.123456Z', 1692831081123456n],
    ['2023-08-24T00:51:21.912+02:00', 1692831081912000n],
    ['1969-12-31T23:59:59.999999Z', -1n],
    ['0001-01-01T00:00:00Z', null], // outside what the lake holds: NULL, not a failed batch
    ['9999-12-31T23:59:59Z', null],
    ['2023-08-23', null],
    ['yesterday', null],
    [1692831081912, null],
  ])('isoMicros(%j) = %s', (input, expected) => {
    expect(isoMicros(input)).toBe(expected);
  });

  it.each([
    ['1692826409.902529', 1692826409902529n],
    ['1692826409.9', 1692826409900000n],
    ['1692826409', 1692826409000000n],
    [1692826255.621649, 1692826255621649n],
    ['999999999999.999999', null],
    ['1692826409.1234567', null],
    ['-1.5', null],
    ['', null],
  ])('slackMicros(%j) = %s', (input, expected) => {
    expect(slackMicros(input)).toBe(expected);
  });

  it.each([
    [8, 8],
    ['8', 8],
    [' 8 ', 8],
    [8.5, null],
    ['8.0', null],
    [2 ** 60, null],
    [true, null],
  ])('int(%j) = %s', (input, expected) => {
    expect(int(input)).toBe(expected);
  });

  it('keeps strings, turns scalars into text, objects into NULL', () => {
    expect([text('a'), text(5), text(false), text({}), text(null)]).toEqual(['a', '5', 'false', null, null]);
    expect([bool(true), bool('false'), bool(0), bool(null)]).toEqual([true, false, null, null]);
    expect([stringList(['a', 1, 'b']), stringList('a'), stringList(undefined)]).toEqual([['a', 'b'], null, null]);
  });

  it.each([
    ['<p>a</p><p>b</p>', 'a\nb'],
    ['x<br/>y<BR>z', 'x\ny\nz'],
    ['&lt;script&gt; &amp; &quot;q&quot; &#x1F600;', '<script> & "q" 😀'],
    ['<ul><li>one</li><li>two</li></ul>', 'one\ntwo'],
    ['plain', 'plain'],
    ['', ''],
  ])('htmlToText(%j) = %j', (input, expected) => {
    expect(htmlToText(input)).toBe(expected);
  });
});
