// OAUTHBEARER tokens for Google Cloud's Managed Service for Apache Kafka. Its brokers do not take a
// bare access token: they take a JWT-shaped wrapper, the way Google's own client helpers make it
// (googleapis/managedkafka: GcpLoginCallbackHandler for Java, the local auth server for Python):
//
//   base64url({"typ":"JWT","alg":"GOOG_OAUTH2_TOKEN"}) . base64url({exp, iat, scope, sub}) . base64url(access token)
//
// unpadded, `sub` the principal (the service account's e-mail), `scope` "kafka". The access token
// comes from Application Default Credentials with the cloud-platform scope: a key file named by
// GOOGLE_APPLICATION_CREDENTIALS, the metadata server on Google Cloud (GKE's Workload Identity
// among them), or an impersonated service account.
import type { OauthbearerProviderResponse } from 'kafkajs';

/** An access token, when it expires, and whose it is. */
export interface AccessToken {
  token: string;
  /** Milliseconds since the epoch. */
  expiresAtMs: number;
  /** The principal the broker authorises: a service account's e-mail. */
  principal: string;
}

/** Where access tokens come from: Application Default Credentials, or a test's stand-in. */
export type AccessTokenSource = () => Promise<AccessToken>;

/** What the broker is sent for an access token: Google's wrapper by default. */
export type TokenFormat = (token: AccessToken, nowMs: number) => string;

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** The token Google's managed Kafka expects for `token` (see the top of this file). */
export const googleKafkaToken: TokenFormat = (t, nowMs) =>
  [
    b64url(JSON.stringify({ typ: 'JWT', alg: 'GOOG_OAUTH2_TOKEN' })),
    b64url(
      JSON.stringify({
        exp: Math.floor(t.expiresAtMs / 1000),
        iat: Math.floor(nowMs / 1000),
        scope: 'kafka',
        sub: t.principal,
      }),
    ),
    b64url(t.token),
  ].join('.');

/**
 * Why no token could be had, with what to do. kafkajs retries it on its schedule, as any failed
 * connection: a metadata server that did not answer once answers the next time.
 */
export class TokenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenError';
  }
}

const cloudPlatform = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * Access tokens from Google's Application Default Credentials (google-auth-library, which caches a
 * token and refreshes it before it expires). The principal is asked for once.
 */
export function applicationDefaultCredentials(): AccessTokenSource {
  let auth: Promise<import('google-auth-library').GoogleAuth> | undefined;
  let principal: Promise<string> | undefined;
  return async () => {
    try {
      auth ??= import('google-auth-library').then(({ GoogleAuth }) => new GoogleAuth({ scopes: [cloudPlatform] }));
      const a = await auth;
      principal ??= a.getCredentials().then((c) => {
        if (!c.client_email) {
          throw new Error(
            'the credentials name no service account (user credentials from `gcloud auth application-default login`?): ' +
              'use a service account key (GOOGLE_APPLICATION_CREDENTIALS), run on Google Cloud as a service account, or ' +
              '`gcloud auth application-default login --impersonate-service-account=<e-mail>`',
          );
        }
        return c.client_email;
      });
      const client = await a.getClient();
      const { token } = await client.getAccessToken();
      const expiresAtMs = client.credentials.expiry_date;
      if (!token || !expiresAtMs) throw new Error('the credentials gave no access token');
      return { token, expiresAtMs, principal: await principal };
    } catch (err) {
      principal = undefined; // asked again next time: the credentials may be mended meanwhile
      throw new TokenError(
        `KAFKA_SASL_MECHANISM=oauthbearer: no token from Google's Application Default Credentials: ${(err as Error).message}`,
        { cause: err },
      );
    }
  };
}

/**
 * The least life a token is sent with when a newer one cannot be had. kafkajs re-authenticates a
 * connection 3 s before its session ends (createKafka's reauthenticationThreshold), and the broker
 * refuses a re-authentication within a second of the last one: a session must outlive both.
 */
const leastLifeMs = 5_000;

/**
 * kafkajs's `oauthBearerProvider`: called at each connection's authentication and
 * re-authentication (the broker asks for one before a token expires, `connections.max.reauth.ms`).
 *
 * kafkajs asks for the token after its SASL handshake, and an authentication that fails there
 * leaves a re-authenticating connection in a state the broker refuses every later request on
 * ("Unexpected Kafka request of type SASL_HANDSHAKE during SASL authentication", Kafka 4.1). So the
 * next token is fetched ahead, in the background (refreshAhead), and a call is answered at once
 * with the token in hand while it has `leastLifeMs` left. Only then does a call wait for a fetch,
 * and fail with it.
 */
export function oauthBearerProvider(
  source: AccessTokenSource,
  format: TokenFormat = googleKafkaToken,
  now: () => number = Date.now,
  onFetchFailed: (err: unknown) => void = () => undefined,
): () => Promise<OauthbearerProviderResponse> {
  let current: { value: string; fetchedAtMs: number; expiresAtMs: number } | undefined;
  let fetching: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const fetch = () =>
    (fetching ??= (async () => {
      const at = now();
      const token = await source();
      if (token.expiresAtMs <= at) {
        throw new TokenError(
          `KAFKA_SASL_MECHANISM=oauthbearer: the access token for ${token.principal} had already expired (${new Date(token.expiresAtMs).toISOString()}); is this machine's clock right?`,
        );
      }
      current = { value: format(token, at), fetchedAtMs: at, expiresAtMs: token.expiresAtMs };
    })().finally(() => (fetching = undefined)));
  /**
   * The next token, fetched once 40 % of the current one's life has passed (re-authentications ask
   * only when a session is about to end), then a second later after each failure while the current
   * one is still worth sending. Set again at each call, so a provider nobody calls fetches nothing.
   */
  const refreshAhead = (delayMs?: number) => {
    if (timer || !current) return;
    const due = delayMs ?? current.fetchedAtMs + 0.4 * (current.expiresAtMs - current.fetchedAtMs) - now();
    timer = setTimeout(
      () => {
        timer = undefined;
        fetch().then(
          () => undefined,
          (err: unknown) => {
            onFetchFailed(err);
            if (current && current.expiresAtMs - now() >= leastLifeMs) refreshAhead(1_000);
          },
        );
      },
      Math.max(0, due),
    );
    timer.unref();
  };
  return async () => {
    if (!current || current.expiresAtMs - now() < leastLifeMs) await fetch();
    refreshAhead();
    return { value: current!.value };
  };
}
