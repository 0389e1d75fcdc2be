// Times in Thena's platform events. Thena documents `timestamp` as "ISO string or Unix timestamp"
// without saying which unit a Unix timestamp is in, so the unit is read from its size (below).
import { maxTimestampMicros } from '../../schemas/table.js';
import { isoMicros } from '../thena/convert.js';

/**
 * At or past this magnitude a Unix time is in milliseconds, below it in seconds: 10^11 ms is
 * 1973-03-03, while 10^11 s is the year 5138, so no time Thena can send is ambiguous.
 */
export const millisecondsFrom = 1e11;

const unixPattern = /^(-?)(\d{1,16})(?:\.(\d{1,9}))?$/;

const inRange = (micros: bigint): bigint | null =>
  micros >= -maxTimestampMicros && micros <= maxTimestampMicros ? micros : null;

/** Unix time given as decimal text, to microseconds without going through a float. */
function unixTextMicros(text: string): bigint | null {
  const m = unixPattern.exec(text);
  if (!m) return null;
  const [, sign, whole, fraction = ''] = m;
  const millis = Number(whole) >= millisecondsFrom;
  const digits = millis ? 3 : 6; // fraction digits that are still whole microseconds
  const micros = BigInt(whole!) * (millis ? 1000n : 1_000_000n) + BigInt(fraction.padEnd(digits, '0').slice(0, digits));
  return inRange(sign === '-' ? -micros : micros);
}

/**
 * A time of a platform event -> microseconds since the epoch, or null when it cannot be read:
 * ISO 8601 with a zone (a time without a zone is not read: its zone would be a guess); or Unix
 * time as a number or as decimal text, in milliseconds at or past `millisecondsFrom`, in seconds
 * below it, fractions kept to the microsecond.
 */
export function thenaTime(v: unknown): bigint | null {
  if (typeof v === 'number') return Number.isFinite(v) ? unixTextMicros(v.toFixed(6).replace(/\.?0+$/, '')) : null;
  if (typeof v !== 'string') return null;
  return isoMicros(v) ?? unixTextMicros(v.trim());
}
