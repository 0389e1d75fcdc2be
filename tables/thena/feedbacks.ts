// Thena's CSAT text: `feedbacks` is HTML with one <p> per entry, "<rater> gave <n> with additional
// feedback of <comment>", or without the comment part.
//
// Read by scans linear in the text, since one accepted body may hold megabytes of it. They give
// what /<p\b[^>]*>[\s\S]*?<\/p>/gi and
// /^(.+?)\s+gave\s+(\d{1,3})(?:\s+with additional feedback of\s*([\s\S]*))?$/i gave, which take
// time quadratic in a run of unclosed <p> or of white space (feedbacks.test.ts compares them).
import { htmlToText } from './convert.js';

export interface CsatEntry {
  rater: string | null;
  rating: number | null;
  comment: string | null;
  html: string;
}

/** Each attempt of these at a position costs O(1) or the length it consumes. */
const paragraphOpen = /<p\b/gi;
const paragraphClose = /<\/p>/gi;
const spaceRuns = /\s+/g;
/**
 * What follows the rater, tried at the end of one white space run (sticky: there alone). Its runs
 * of white space are the next runs of the text, each so tried at most once.
 */
const ratingAndComment = /gave\s+(\d{1,3})(?:\s+with additional feedback of\s*|$)/iy;
/** What `.` does not match: a rater is one line. */
const lineTerminator = /[\n\r\u2028\u2029]/;

/**
 * The `<p …>…</p>` paragraphs of `html`, in order: each from a `<p` (a whole tag name) through the
 * end of its tag, the first `>`, to the first `</p>` after it. When the first `<p` left has no `>`
 * after it, or no `</p>` after that, no later one has either, so the scan stops there.
 */
export function paragraphsOf(html: string): string[] {
  const found: string[] = [];
  paragraphOpen.lastIndex = 0;
  for (let open = paragraphOpen.exec(html); open; open = paragraphOpen.exec(html)) {
    const tagEnd = html.indexOf('>', paragraphOpen.lastIndex);
    if (tagEnd < 0) break;
    paragraphClose.lastIndex = tagEnd + 1;
    if (!paragraphClose.test(html)) break;
    found.push(html.slice(open.index, paragraphClose.lastIndex));
    paragraphOpen.lastIndex = paragraphClose.lastIndex;
  }
  return found;
}

/**
 * One entry's plain text read as "<rater> gave <n>[ with additional feedback of <comment>]", or
 * null when it does not read so. The rater ends at the first white space run (within its first
 * line) that "gave" and the rest follow; ends anywhere in one run are alike, so each run is tried
 * once, with the shortest rater.
 */
export function readEntry(plain: string): Omit<CsatEntry, 'html'> | null {
  const firstBreak = plain.search(lineTerminator);
  const oneLine = firstBreak < 0 ? plain.length : firstBreak;
  spaceRuns.lastIndex = 0;
  for (let run = spaceRuns.exec(plain); run; run = spaceRuns.exec(plain)) {
    const raterEnd = Math.max(run.index, 1); // a rater has at least one character
    if (raterEnd > oneLine) return null;
    if (raterEnd >= spaceRuns.lastIndex) continue;
    ratingAndComment.lastIndex = spaceRuns.lastIndex;
    const m = ratingAndComment.exec(plain);
    if (m) {
      const comment = plain.slice(ratingAndComment.lastIndex).trim();
      return { rater: plain.slice(0, raterEnd).trim(), rating: Number(m[1]), comment: comment ? comment : null };
    }
  }
  return null;
}

/**
 * Splits `feedbacks` into entries. An entry that does not read as "<rater> gave <n> …" keeps its
 * HTML, with NULL rater and rating and its plain text as the comment (so distinct unreadable
 * entries stay distinct facts).
 */
export function parseFeedbacks(feedbacks: unknown): CsatEntry[] {
  if (typeof feedbacks !== 'string' || feedbacks.trim() === '') return [];
  const paragraphs = paragraphsOf(feedbacks);
  const entries = paragraphs.length > 0 ? paragraphs : [feedbacks];
  return entries
    .map((html) => ({ html, plain: htmlToText(html) ?? '' }))
    .filter(({ plain }) => plain !== '')
    .map(({ html, plain }) => {
      const { rater, rating, comment } = readEntry(plain) ?? { rater: null, rating: null, comment: plain };
      return { rater, rating, comment, html };
    });
}

/** The raters named in a CSAT text. */
export const ratersIn = (feedbacks: string): string[] =>
  parseFeedbacks(feedbacks).flatMap((e) => (e.rater ? [e.rater] : []));
