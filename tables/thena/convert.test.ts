import fc from 'fast-check';
import he from 'he';
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
    ['1 < 2 and <b>3</b> > 2', '1 < 2 and 3 > 2'], // a `<` that opens no tag is text
    ['a <<b>c', 'a <c'],
    ['a \t<br>\tb  \n\n\n\nc \t', 'a\n\tb\n\nc'],
  ])('htmlToText(%j) = %j', (input, expected) => {
    expect(htmlToText(input)).toBe(expected);
  });
});

/** htmlToText as it was: quadratic in a run of `<` with no `>` after it, or of spaces before no newline. */
function regexHtmlToText(html: string, tag: RegExp): string {
  const withBreaks = html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|h[1-6]|blockquote|pre)>/gi, '\n')
    .replace(tag, '');
  return he
    .decode(withBreaks)
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
const oldTag = /<[^>]*>/g;
/** A tag now ends at the first `>` with no `<` before it (so a lone `<` stays text): the one intended change. */
const newTag = /<[^<>]*>/g;

/** Short texts of what htmlToText turns on (short: the reference is quadratic). */
const tags = ['<p>', '</p>', '<P class="x">', '</div>', '<br>', '<BR/>', '<br \n/>', '<b>', '</b>', '<li>'];
const textPieces = [' ', '  ', '\t', '\n', '\r', '\u00a0', '>', '/', 'p', 'P', 'a', 'é', '😀', '&amp;', '&lt;', '&#9;'];
const htmlOf = (pieces: string[]) => fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((p) => p.join(''));
const numRuns = 5000;

describe('htmlToText agrees with the regular expressions it replaced', () => {
  it('on any text, with the new tag pattern', () => {
    fc.assert(
      fc.property(htmlOf([...tags, ...textPieces, '<', '<p', '<br']), (html) => {
        expect(htmlToText(html)).toBe(regexHtmlToText(html, newTag));
      }),
      { numRuns },
    );
  });

  it('on text whose every `<` opens a whole tag, with the old one too', () => {
    fc.assert(
      fc.property(htmlOf([...tags, ...textPieces]), (html) => {
        expect(htmlToText(html)).toBe(regexHtmlToText(html, oldTag));
      }),
      { numRuns },
    );
  });
});

const MiB4 = 4 * 1024 * 1024;
const ofLength = (piece: string, n: number) => piece.repeat(Math.ceil(n / piece.length)).slice(0, n);

describe('htmlToText of 4 MiB takes linear time (the 5 s test timeout is the guard)', () => {
  it.each<[string, string, string]>([
    ['`<` and no `>`', ofLength('<', MiB4), ofLength('<', MiB4)],
    ['a run of spaces before no newline', `a${' '.repeat(MiB4 - 2)}b`, `a${' '.repeat(MiB4 - 2)}b`],
    ['runs of tabs and spaces before newlines', ofLength(' \t'.repeat(1000) + '\n', MiB4), ''],
    ['<br and spaces, never closed', `<br${' '.repeat(MiB4 - 4)}x`, `<br${' '.repeat(MiB4 - 4)}x`],
    ['<p> never closed', '<p>'.repeat(Math.floor(MiB4 / 3)), ''],
  ])('%s', (_name, html, expected) => {
    expect(htmlToText(html)).toBe(expected);
  });
});
