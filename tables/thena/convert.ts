// Conversions from payload values to column values. A value converts when it can without loss;
// otherwise the column is NULL (the payload_json column keeps what was sent).
import he from 'he';
import { maxTimestampMicros } from '../../schemas/table.js';

/** Outside the range the lake can hold: NULL, as for any value that does not convert. */
const inRange = (micros: bigint): bigint | null =>
  micros >= -maxTimestampMicros && micros <= maxTimestampMicros ? micros : null;

export const text = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;

export function int(v: unknown): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : null;
  if (typeof v === 'string' && /^-?[0-9]{1,15}$/.test(v.trim())) return Number(v.trim());
  return null;
}

export function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return null;
}

const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 timestamp with zone -> microseconds since the epoch, keeping microseconds. */
export function isoMicros(v: unknown): bigint | null {
  if (typeof v !== 'string') return null;
  const m = isoPattern.exec(v.trim());
  if (!m) return null;
  const wholeSeconds = Date.parse(v.trim().replace(/\.\d+/, ''));
  if (Number.isNaN(wholeSeconds)) return null;
  const fraction = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return inRange(BigInt(wholeSeconds) * 1000n + BigInt(fraction));
}

/** A Slack timestamp ("1692826409.902529": seconds with microseconds) -> microseconds. */
export function slackMicros(v: unknown): bigint | null {
  const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
  if (typeof s !== 'string') return null;
  const m = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(s.trim());
  if (!m) return null;
  return inRange(BigInt(m[1]!) * 1_000_000n + BigInt((m[2] ?? '').padEnd(6, '0')));
}

/**
 * Plain text of an HTML fragment: line breaks for <br> and block ends, tags removed, entities
 * decoded. Linear in the input (a body of megabytes may reach it): a tag is `<` up to the next `>`
 * with no `<` inside, so a `<` that opens no tag stays as text and costs one look, where
 * /<[^>]*>/ scanned to the end for each one and swallowed the text up to the next tag's end.
 */
export function htmlToText(html: unknown): string | null {
  if (typeof html !== 'string') return null;
  const withBreaks = html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|h[1-6]|blockquote|pre)>/gi, '\n')
    .replace(/<[^<>]*>/g, '');
  return trimLineEnds(he.decode(withBreaks))
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Each line without the spaces and tabs that end it. Not /[ \t]+\n/g: that tries again from every
 * space of a run that no newline ends, quadratic in the run.
 */
function trimLineEnds(s: string): string {
  return s.split('\n').map(trimSpacesAndTabsEnd).join('\n');
}

function trimSpacesAndTabsEnd(line: string): string {
  let end = line.length;
  for (let c = line.charCodeAt(end - 1); c === 0x20 || c === 0x09; c = line.charCodeAt(end - 1)) end--;
  return end === line.length ? line : line.slice(0, end);
}

export const asObject = (v: unknown): Record<string, unknown> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** A list of strings, or NULL when the field is absent or not a list; non-strings are dropped. */
export function stringList(v: unknown): string[] | null {
  if (!Array.isArray(v)) return null;
  return v.filter((x): x is string => typeof x === 'string');
}
