// How every Kafka client reaches a secured cluster: TLS (a private CA, a client certificate for
// mTLS) and SASL (PLAIN, SCRAM, or OAUTHBEARER with Google's tokens), read from the configuration
// once and given to each kafkajs client by createKafka (kafka.ts). And what a failure to connect
// means, in words that name the setting to change.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { ConfigError, type Config } from './config.js';
import {
  applicationDefaultCredentials,
  oauthBearerProvider,
  type AccessTokenSource,
  type TokenFormat,
} from './google-kafka-token.js';

/** Where OAUTHBEARER tokens come from and how they are sent: Google's ADC and wrapper unless a test swaps them. */
export interface OAuthOverrides {
  tokens?: AccessTokenSource;
  format?: TokenFormat;
}

export type SecurityConfig = Pick<
  Config,
  | 'KAFKA_SSL'
  | 'KAFKA_SSL_CA_FILE'
  | 'KAFKA_SSL_CERT_FILE'
  | 'KAFKA_SSL_KEY_FILE'
  | 'KAFKA_SASL_MECHANISM'
  | 'KAFKA_SASL_USERNAME'
  | 'KAFKA_SASL_PASSWORD'
>;

/** What a client does to connect, without secrets: for messages and logs. */
export interface SecuritySummary {
  tls: boolean;
  /** A client certificate is presented. */
  mtls: boolean;
  sasl?: NonNullable<Config['KAFKA_SASL_MECHANISM']>;
  username?: string;
}

export interface KafkaSecurity {
  /** kafkajs's `ssl`: undefined for plaintext. Certificates are always checked. */
  ssl?: ConnectionOptions;
  sasl?: SASLOptions;
  summary: SecuritySummary;
}

/** Reads a file a setting names, or says which setting and why not. */
function readSetting(name: keyof SecurityConfig, path: string, problems: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    problems.push(`${name}: cannot read '${path}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return undefined;
  }
}

/** The TLS options, checked by building a context from them (a file that is not PEM, a key of another certificate). */
function tlsOptions(c: SecurityConfig, problems: string[]): ConnectionOptions | undefined {
  const files = (['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const).filter((n) => c[n]);
  if (!c.KAFKA_SSL) {
    for (const n of files)
      problems.push(`${n} is set but KAFKA_SSL is not true: set KAFKA_SSL=true (the file is used over TLS only)`);
    return undefined;
  }
  if (Boolean(c.KAFKA_SSL_CERT_FILE) !== Boolean(c.KAFKA_SSL_KEY_FILE)) {
    problems.push(
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (a client certificate and its key): set both or neither',
    );
  }
  const options: ConnectionOptions = {};
  const before = problems.length;
  const ca = c.KAFKA_SSL_CA_FILE ? readSetting('KAFKA_SSL_CA_FILE', c.KAFKA_SSL_CA_FILE, problems) : undefined;
  if (ca !== undefined) options.ca = ca;
  if (c.KAFKA_SSL_CERT_FILE && c.KAFKA_SSL_KEY_FILE) {
    options.cert = readSetting('KAFKA_SSL_CERT_FILE', c.KAFKA_SSL_CERT_FILE, problems);
    options.key = readSetting('KAFKA_SSL_KEY_FILE', c.KAFKA_SSL_KEY_FILE, problems);
  }
  if (problems.length > before) return options;
  if (ca !== undefined) {
    try {
      // Node's TLS skips what is not a certificate in `ca`: read the first one to be sure.
      new X509Certificate(ca);
      createSecureContext({ ca });
    } catch (err) {
      problems.push(
        `KAFKA_SSL_CA_FILE: '${c.KAFKA_SSL_CA_FILE}' holds no certificate Node can read as PEM (${(err as Error).message})`,
      );
    }
  }
  if (options.cert) {
    try {
      createSecureContext({ cert: options.cert, key: options.key });
    } catch (err) {
      const message = (err as Error).message;
      problems.push(
        /mismatch/i.test(message)
          ? `KAFKA_SSL_KEY_FILE: '${c.KAFKA_SSL_KEY_FILE}' is not the key of KAFKA_SSL_CERT_FILE's certificate`
          : `KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE: not a PEM certificate and its unencrypted key (${message})`,
      );
    }
  }
  return options;
}

function saslOptions(c: SecurityConfig, oauth: OAuthOverrides, problems: string[]): SASLOptions | undefined {
  const mechanism = c.KAFKA_SASL_MECHANISM;
  const credentials = (['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const).filter((n) => c[n]);
  if (!mechanism) {
    for (const n of credentials) {
      problems.push(
        `${n} is set but KAFKA_SASL_MECHANISM is not: set it to the listener's mechanism (plain, scram-sha-256 or scram-sha-512)`,
      );
    }
    return undefined;
  }
  if ((mechanism === 'plain' || mechanism === 'oauthbearer') && !c.KAFKA_SSL) {
    problems.push(
      `KAFKA_SASL_MECHANISM=${mechanism} sends its secret as it is: set KAFKA_SSL=true (a SASL_SSL listener)`,
    );
  }
  if (mechanism === 'oauthbearer') {
    for (const n of credentials) {
      problems.push(
        `${n} is set but KAFKA_SASL_MECHANISM=oauthbearer takes its tokens from Google's Application Default Credentials: unset it (or use plain with a service account's key)`,
      );
    }
    return {
      mechanism,
      oauthBearerProvider: oauthBearerProvider(oauth.tokens ?? applicationDefaultCredentials(), oauth.format),
    };
  }
  if (!c.KAFKA_SASL_USERNAME || !c.KAFKA_SASL_PASSWORD) {
    problems.push(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`);
    return undefined;
  }
  return { mechanism, username: c.KAFKA_SASL_USERNAME, password: c.KAFKA_SASL_PASSWORD };
}

/**
 * The TLS and SASL options of every client, from the configuration. Throws ConfigError naming each
 * setting that is wrong or missing (a file that cannot be read, a certificate without its key,
 * credentials without a mechanism). `oauth` swaps Google's tokens for a test's.
 */
export function kafkaSecurity(c: SecurityConfig, oauth: OAuthOverrides = {}): KafkaSecurity {
  const problems: string[] = [];
  const ssl = tlsOptions(c, problems);
  const sasl = saslOptions(c, oauth, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  configured = {
    tls: Boolean(ssl),
    mtls: Boolean(ssl?.cert),
    ...(c.KAFKA_SASL_MECHANISM ? { sasl: c.KAFKA_SASL_MECHANISM } : {}),
    ...(c.KAFKA_SASL_USERNAME ? { username: c.KAFKA_SASL_USERNAME } : {}),
  };
  return { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}), summary: configured };
}

let configured: SecuritySummary = { tls: false, mtls: false };
/**
 * The security of the process's last kafkaSecurity call: a process reaches one cluster, and what
 * ends it (runService, a command's failure) explains a Kafka error by it without being handed it.
 */
export const configuredSecurity = (): SecuritySummary => configured;

// Node's codes for a certificate chain it does not trust.
const untrusted = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  broker?: string;
  cause?: unknown;
  originalError?: unknown;
}

/** The error and those it wraps (kafkajs wraps the last failure of its retries). */
function* chain(err: unknown): Generator<ErrorLike> {
  let e = err as ErrorLike | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 10; depth++) {
    yield e;
    e = (e.cause ?? e.originalError) as ErrorLike | undefined;
  }
}

/**
 * What a failure to reach Kafka means and which setting mends it, or undefined when it is none of
 * the failures a setting causes (a broker that is down is not a configuration problem).
 */
export function securityProblem(err: unknown, s: SecuritySummary): string | undefined {
  for (const e of chain(err)) {
    const where = e.broker ? `Kafka at ${e.broker}` : 'Kafka';
    const message = e.message ?? '';
    if (e.name === 'TokenError') return message;
    if (e.name === 'KafkaJSSASLAuthenticationError') {
      if (s.sasl === 'oauthbearer') {
        return `${where} refused the OAUTHBEARER token (${message}): check that the Application Default Credentials' service account may use the cluster`;
      }
      return `${where} refused the credentials of '${s.username}' (${message}): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, and that KAFKA_SASL_MECHANISM (${s.sasl}) is one the listener enables for that user`;
    }
    if (e.code && untrusted.has(e.code)) {
      return `${where}'s TLS certificate is not signed by a CA this service trusts (${e.code}): set KAFKA_SSL_CA_FILE to the PEM of the CA that signed the brokers' certificates`;
    }
    if (e.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return `${where}'s TLS certificate does not name that host (${message}): list the brokers in KAFKA_BROKERS by a name their certificates hold`;
    }
    if (
      /ALERT_BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA/.test(e.code ?? '') ||
      /alert (bad certificate|certificate required|unknown ca)/i.test(message)
    ) {
      return s.mtls
        ? `${where} refused this client's TLS certificate (${e.code}): KAFKA_SSL_CERT_FILE must be signed by a CA the listener trusts`
        : `${where} asks for a client certificate (mTLS) and this client has none (${e.code}): set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE`;
    }
    if (e.code === 'CERT_HAS_EXPIRED')
      return `${where}'s TLS certificate has expired: the cluster's operator must renew it`;
    if (
      s.tls &&
      (e.code === 'EPROTO' ||
        e.code === 'ECONNRESET' ||
        /before secure TLS connection|wrong version number/i.test(message))
    ) {
      return `${where} did not complete a TLS handshake (${message}): if that listener is plaintext, unset KAFKA_SSL or use the TLS listener's port; if it asks for a client certificate, set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE`;
    }
    if (e.name === 'KafkaJSConnectionClosedError' || /Closed connection/.test(message)) {
      const fixes = [
        ...(s.tls ? [] : ['a listener that requires TLS does this to a plaintext client (set KAFKA_SSL=true)']),
        ...(s.sasl
          ? []
          : ['one that requires SASL, to a client without credentials (set KAFKA_SASL_MECHANISM and its credentials)']),
        ...(s.tls && !s.mtls
          ? [
              'one that requires a client certificate, to a client without one (set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE)',
            ]
          : []),
      ];
      if (fixes.length > 0) return `${where} closed the connection before answering: ${fixes.join('; ')}`;
    }
  }
  return undefined;
}

/** The error's message, or what it means when a setting causes it (securityProblem). */
export const describeKafkaError = (err: unknown, s: SecuritySummary): string =>
  securityProblem(err, s) ?? (err as Error).message ?? String(err);
