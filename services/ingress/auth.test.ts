import { describe, expect, it } from 'vitest';
import { tokenMatcher } from './auth.js';

describe('tokenMatcher', () => {
  const check = tokenMatcher(['Bearer current', 'Bearer next']);

  it.each([
    ['the current token', 'Bearer current', true],
    ['the next token (rotation)', 'Bearer next', true],
    ['a wrong token', 'Bearer wrong', false],
    ['a prefix of a token', 'Bearer cur', false],
    ['a token with more after it', 'Bearer current2', false],
    ['an empty header', '', false],
    ['no header', undefined, false],
  ])('%s -> %s', (_name, header, expected) => {
    expect(check(header)).toBe(expected);
  });

  it('accepts everything when no token is configured', () => {
    expect(tokenMatcher([])(undefined)).toBe(true);
  });

  it('does not accept a missing header even if a token is the empty string', () => {
    expect(tokenMatcher([''])(undefined)).toBe(false);
  });
});
