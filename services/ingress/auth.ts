// The check of Thena's static `authorization` value (Thena offers no signature, only this header),
// and which workspace the matching token names.
import { createHash, timingSafeEqual } from 'node:crypto';
import { defaultWorkspace, workspacePattern } from '../../schemas/workspace.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export interface WorkspaceToken {
  workspace: string;
  token: string;
}

/**
 * Reads INGRESS_AUTH_TOKENS items: `workspace=token` names the workspace, a bare token means
 * `default`. An item is a pair when the text before its first `=` is a workspace name and the
 * text after it is not empty and does not start with `=`; so base64 padding (`abc==`) and
 * `Bearer x=y` stay bare tokens. A bare token that would read as a pair is written `default=<token>`.
 */
export function parseAuthTokens(items: readonly string[]): WorkspaceToken[] {
  return items.map((item) => {
    const at = item.indexOf('=');
    const name = at > 0 ? item.slice(0, at) : '';
    const token = item.slice(at + 1);
    return workspacePattern.test(name) && token !== '' && !token.startsWith('=')
      ? { workspace: name, token }
      : { workspace: defaultWorkspace, token: item };
  });
}

/**
 * Returns the workspace of the token equal to the header, or undefined when none is. Values are
 * compared as SHA-256 digests with timingSafeEqual, against every token without stopping at a
 * match, so the time taken says nothing about which token, or how much of one, matched. No tokens:
 * every request is accepted, as `default`.
 */
export function tokenMatcher(items: readonly string[]): (header: string | undefined) => string | undefined {
  if (items.length === 0) return () => defaultWorkspace;
  const expected = parseAuthTokens(items).map((t) => ({ workspace: t.workspace, digest: digest(t.token) }));
  return (header) => {
    const actual = digest(header ?? '');
    let matched: string | undefined;
    for (const token of expected) {
      if (timingSafeEqual(token.digest, actual)) matched ??= token.workspace;
    }
    return header === undefined ? undefined : matched;
  };
}

/** Where an event that names a workspace goes: that workspace, or nowhere, with the reason. */
export type WorkspaceDecision = { kind: 'workspace'; workspace: string } | { kind: 'forbidden'; message: string };

/** How much of a sender-chosen orgId an answer or a log line repeats. */
const shownLength = 64;
const shown = (value: string) => `'${value.length > shownLength ? `${value.slice(0, shownLength)}…` : value}'`;

/**
 * A platform event's workspace: its orgId (as sent; classifyPlatform refuses one that is not a
 * workspace name), else the token's. A token bound to a workspace (a `workspace=token` item) writes
 * only there, so an event naming another is refused; a bare token (`default`, also with no tokens
 * configured) lets the orgId decide. The message names both workspaces and the fix, never the token.
 */
export function platformWorkspace(tokenWorkspace: string, orgId: string | undefined): WorkspaceDecision {
  if (orgId === undefined || orgId === tokenWorkspace) return { kind: 'workspace', workspace: tokenWorkspace };
  if (tokenWorkspace === defaultWorkspace) return { kind: 'workspace', workspace: orgId };
  return {
    kind: 'forbidden',
    message:
      `the token is bound to workspace '${tokenWorkspace}' but the event names orgId ${shown(orgId)}; ` +
      `send it with a token bound to ${shown(orgId)} or a bare token`,
  };
}
