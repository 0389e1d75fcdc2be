// Thena's CSAT text: `feedbacks` is HTML with one <p> per entry, "<rater> gave <n> with additional
// feedback of <comment>", or without the comment part.
import { htmlToText } from './convert.js';

export interface CsatEntry {
  rater: string | null;
  rating: number | null;
  comment: string | null;
  html: string;
}

const entryPattern = /^(.+?)\s+gave\s+(\d{1,3})(?:\s+with additional feedback of\s*([\s\S]*))?$/i;

/**
 * Splits `feedbacks` into entries. An entry that does not read as "<rater> gave <n> …" keeps its
 * HTML, with NULL rater and rating and its plain text as the comment (so distinct unreadable
 * entries stay distinct facts).
 */
export function parseFeedbacks(feedbacks: unknown): CsatEntry[] {
  if (typeof feedbacks !== 'string' || feedbacks.trim() === '') return [];
  const paragraphs = [...feedbacks.matchAll(/<p\b[^>]*>[\s\S]*?<\/p>/gi)].map((m) => m[0]);
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

/** The raters named in a CSAT text. */
export const ratersIn = (feedbacks: string): string[] =>
  parseFeedbacks(feedbacks).flatMap((e) => (e.rater ? [e.rater] : []));
