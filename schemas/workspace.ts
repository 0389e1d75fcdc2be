// Workspaces: a company can run several Thena workspaces into one pipeline. Every row carries the
// workspace it came from, and every view keeps workspaces apart. A request webhook's workspace is
// named by the token that authenticated it (INGRESS_AUTH_TOKENS items `workspace=token`), a
// platform event's by its orgId; rows written before workspaces existed read as `default`.

export const defaultWorkspace = 'default';

/** What a workspace name may be: it appears in tokens' configuration, keys and file names. */
export const workspacePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
