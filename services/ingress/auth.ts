// The check of Thena's static `authorization` value. Thena offers no signature, only this header.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Returns a predicate that accepts a header equal to one of `tokens`. Values are compared as
 * SHA-256 digests with timingSafeEqual, against every token without stopping at a match, so the
 * time taken says nothing about which token, or how much of one, matched. No tokens: accept all.
 */
export function tokenMatcher(tokens: readonly string[]): (header: string | undefined) => boolean {
  if (tokens.length === 0) return () => true;
  const expected = tokens.map(digest);
  return (header) => {
    const actual = digest(header ?? '');
    let matched = false;
    for (const token of expected) matched = timingSafeEqual(token, actual) || matched;
    return matched && header !== undefined;
  };
}
