import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { htmlToText } from './convert.js';
import { paragraphsOf, parseFeedbacks, readEntry } from './feedbacks.js';

// The regular expressions the scans replaced (quadratic in a run of unclosed <p> or of white
// space): the reference the scans must agree with on every input.
const regexParagraphs = (html: string) => [...html.matchAll(/<p\b[^>]*>[\s\S]*?<\/p>/gi)].map((m) => m[0]);
const entryPattern = /^(.+?)\s+gave\s+(\d{1,3})(?:\s+with additional feedback of\s*([\s\S]*))?$/i;
function regexEntry(plain: string) {
  const m = entryPattern.exec(plain);
  if (!m) return null;
  const comment = m[3]?.trim();
  return { rater: m[1]!.trim(), rating: Number(m[2]), comment: comment ? comment : null };
}
/** parseFeedbacks as it was, on today's htmlToText (convert.test.ts compares that one). */
function regexParseFeedbacks(feedbacks: unknown) {
  if (typeof feedbacks !== 'string' || feedbacks.trim() === '') return [];
  const paragraphs = regexParagraphs(feedbacks);
  const entries = paragraphs.length > 0 ? paragraphs : [feedbacks];
  return entries
    .map((html) => ({ html, plain: htmlToText(html) ?? '' }))
    .filter(({ plain }) => plain !== '')
    .map(({ html, plain }) => {
      const m = entryPattern.exec(plain);
      if (!m) return { rater: null, rating: null, comment: plain, html };
      const comment = m[3]?.trim();
      return { rater: m[1]!.trim(), rating: Number(m[2]), comment: comment ? comment : null, html };
    });
}

/**
 * Short texts of the pieces the patterns turn on: tags and their near misses, `\b` after `<p`,
 * case, white space of both kinds (ASCII and Unicode, line terminators or not), "gave", ratings of
 * one to four digits, the comment's lead-in, astral characters and entities. Short, since the
 * reference is quadratic.
 */
const pieces = [
  ...['<', '>', '/', '<p>', '</p>', '<P>', '</P>', '<p', '<p class="x">', '<pre>', '<p_', '<p\n>', '</p', '<br>'],
  ...['p', 'P', ' ', '  ', '\t', '\n', '\r', '\u2028', '\u00a0', '\u3000', '\ufeff'],
  ...['gave', 'GAVE', 'Gave', ' gave ', 'gave5', '0', '5', '42', '999', '1234', '4.5'],
  ...['with additional feedback of', 'WITH Additional FEEDBACK of', ' with additional feedback of '],
  ...['a', 'ana', 'Zo', '_', 'é', 'İ', 'ſ', '😀', '&amp;', '&lt;p&gt;', '&#x20;'],
];
const pieceText = fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((p) => p.join(''));
const spaces = fc.constantFrom(' ', '  ', '\t', '\u00a0', ' \n ', '\u2028', '');
/** Entries shaped as Thena writes them, with the shape bent: these read as entries often. */
const entryText = fc
  .tuple(
    pieceText,
    spaces,
    fc.constantFrom('gave', 'GaVe', 'gav'),
    spaces,
    fc.constantFrom('1', '5', '42', '100', '999', '1000', '4.5', ''),
    fc.option(fc.tuple(spaces, fc.constantFrom('with additional feedback of', 'With Additional Feedback Of')), {
      nil: undefined,
    }),
    pieceText,
  )
  .map(([rater, s1, gave, s2, n, part, rest]) => `${rater}${s1}${gave}${s2}${n}${part ? part.join('') : ''}${rest}`);
const text = fc.oneof(pieceText, { weight: 2, arbitrary: entryText });
const feedbacks = fc.oneof(
  text,
  fc
    .array(fc.tuple(fc.constantFrom('<p>', '<P x>', '<p', ''), text, fc.constantFrom('</p>', '</P>', '', '<p>')))
    .map((ps) => ps.map((p) => p.join('')).join('')),
);

const numRuns = 5000;

describe('the CSAT scans agree with the regular expressions they replaced', () => {
  it('paragraphsOf', () => {
    fc.assert(
      fc.property(feedbacks, (html) => {
        expect(paragraphsOf(html)).toEqual(regexParagraphs(html));
      }),
      { numRuns },
    );
  });

  it('readEntry, on any text', () => {
    let read = 0;
    fc.assert(
      fc.property(text, (plain) => {
        const expected = regexEntry(plain);
        if (expected) read++;
        expect(readEntry(plain)).toEqual(expected);
      }),
      { numRuns },
    );
    // The generator reaches entries that read, not only ones that do not.
    expect(read).toBeGreaterThan(numRuns / 20);
  });

  it('parseFeedbacks', () => {
    fc.assert(
      fc.property(feedbacks, (f) => {
        expect(parseFeedbacks(f)).toEqual(regexParseFeedbacks(f));
      }),
      { numRuns },
    );
  });

  it.each<[string, ReturnType<typeof regexEntry>]>([
    ['ana gave 5', { rater: 'ana', rating: 5, comment: null }],
    ['ana gave 5 gave 6', { rater: 'ana gave 5', rating: 6, comment: null }],
    ['ana gave gave 6', { rater: 'ana gave', rating: 6, comment: null }],
    ['ana gave 1234', null],
    ['ana\nbo gave 5', null],
    [
      'ana bo\u00a0\u00a0GAVE\t7 With additional feedback of\n  slow\n',
      { rater: 'ana bo', rating: 7, comment: 'slow' },
    ],
    ['  gave 5', { rater: '', rating: 5, comment: null }],
    ['ana gave 5 with additional feedback of', { rater: 'ana', rating: 5, comment: null }],
    ['ana gave 5 with additional feedback', null],
  ])('readEntry(%j) = %j', (plain, expected) => {
    expect(readEntry(plain)).toEqual(expected);
    expect(regexEntry(plain)).toEqual(expected);
  });
});

const MiB4 = 4 * 1024 * 1024;
const ofLength = (piece: string, n: number) => piece.repeat(Math.ceil(n / piece.length)).slice(0, n);

describe('CSAT texts of 4 MiB are read in linear time (the 5 s test timeout is the guard)', () => {
  it.each<[string, string, number]>([
    ['<p> never closed', '<p>'.repeat(Math.floor(MiB4 / 3)), 0],
    ['<p without the end of its tag', ofLength('<p', MiB4), 1],
    ['a run of spaces', `a${' '.repeat(MiB4 - 2)}b`, 1],
    ['a run of spaces and newlines', `a${ofLength(' \n', MiB4 - 2)}b`, 1],
    ['"gave" with no rating, again and again', ofLength('x gave ', MiB4), 1],
    ['paragraphs, then <p> never closed', `${'<p>a gave 1</p>'.repeat(1000)}${ofLength('<p>', MiB4 - 15_000)}`, 1000],
  ])('%s', (_name, f, entries) => {
    expect(parseFeedbacks(f)).toHaveLength(entries);
  });
});
