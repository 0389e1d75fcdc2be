import { describe, expect, it } from 'vitest';
import { parseAuthTokens, platformWorkspace, tokenMatcher } from './auth.js';

describe('tokenMatcher', () => {
  const check = tokenMatcher(['Bearer current', 'Bearer next']);

  it.each([
    ['the current token', 'Bearer current', 'default'],
    ['the next token (rotation)', 'Bearer next', 'default'],
    ['a wrong token', 'Bearer wrong', undefined],
    ['a prefix of a token', 'Bearer cur', undefined],
    ['a token with more after it', 'Bearer current2', undefined],
    ['an empty header', '', undefined],
    ['no header', undefined, undefined],
  ])('%s -> %s', (_name, header, expected) => {
    expect(check(header)).toBe(expected);
  });

  it('accepts everything, as the default workspace, when no token is configured', () => {
    expect(tokenMatcher([])(undefined)).toBe('default');
  });

  it('does not accept a missing header even if a token is the empty string', () => {
    expect(tokenMatcher([''])(undefined)).toBeUndefined();
  });

  it('names the workspace of the token that matched', () => {
    const workspaceOf = tokenMatcher(['acme=Bearer a1', 'globex=Bearer g1', 'acme=Bearer a2', 'Bearer plain']);
    expect(workspaceOf('Bearer a1')).toBe('acme');
    expect(workspaceOf('Bearer a2')).toBe('acme');
    expect(workspaceOf('Bearer g1')).toBe('globex');
    expect(workspaceOf('Bearer plain')).toBe('default');
    expect(workspaceOf('acme=Bearer a1')).toBeUndefined();
  });
});

describe('parseAuthTokens', () => {
  it.each([
    ['acme=Bearer abc', { workspace: 'acme', token: 'Bearer abc' }],
    ['Bearer abc', { workspace: 'default', token: 'Bearer abc' }],
    ['Bearer x=y', { workspace: 'default', token: 'Bearer x=y' }],
    ['c2VjcmV0==', { workspace: 'default', token: 'c2VjcmV0==' }],
    ['c2VjcmV0=', { workspace: 'default', token: 'c2VjcmV0=' }],
    ['default=k=v', { workspace: 'default', token: 'k=v' }],
    ['=abc', { workspace: 'default', token: '=abc' }],
  ])('%s', (item, expected) => {
    expect(parseAuthTokens([item])).toEqual([expected]);
  });
});

describe('platformWorkspace', () => {
  it.each([
    ['a bound token, the same orgId', 'acme', 'acme', 'acme'],
    ['a bound token, no orgId', 'acme', undefined, 'acme'],
    ['a bare token, an orgId', 'default', 'globex', 'globex'],
    ['a bare token, no orgId', 'default', undefined, 'default'],
  ])('%s -> %s', (_case, token, orgId, workspace) => {
    expect(platformWorkspace(token, orgId)).toEqual({ kind: 'workspace', workspace });
  });

  it.each([
    ['another orgId', 'globex'],
    ["the orgId 'default'", 'default'],
    ['an orgId that differs only in case', 'ACME'],
  ])('refuses a bound token and %s, naming both and the fix', (_case, orgId) => {
    expect(platformWorkspace('acme', orgId)).toEqual({
      kind: 'forbidden',
      message: `the token is bound to workspace 'acme' but the event names orgId '${orgId}'; send it with a token bound to '${orgId}' or a bare token`,
    });
  });

  it('repeats at most 64 characters of a long orgId', () => {
    const decided = platformWorkspace('acme', 'x'.repeat(10_000));
    expect(decided.kind === 'forbidden' && decided.message).toContain(`'${'x'.repeat(64)}…'`);
    expect(decided.kind === 'forbidden' && decided.message.length).toBeLessThan(300);
  });
});
