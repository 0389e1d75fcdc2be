import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs, { KafkaJSConnectionError, KafkaJSSASLAuthenticationError } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates, type TestCertificates } from '../../infra/kafka/certs.js';
import { ConfigError, parseConfig } from './config.js';
import { kafkaSecurity, securityProblem, type SecuritySummary } from './kafka-security.js';

// kafkajs's own error classes, as its clients throw them (its typings leave these two out).
type ErrorClass = new (e: unknown, o?: object) => Error;
const { KafkaJSConnectionClosedError, KafkaJSNumberOfRetriesExceeded } = kafkajs as unknown as Record<
  'KafkaJSConnectionClosedError' | 'KafkaJSNumberOfRetriesExceeded',
  ErrorClass
>;

let certs: TestCertificates;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kafka-security-'));
  certs = await makeTestCertificates(dir);
}, 60_000);

/** The problems kafkaSecurity finds in these variables (parsed as the services parse them). */
function problems(env: Record<string, string>): string[] {
  try {
    kafkaSecurity(parseConfig(env));
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('Kafka TLS and SASL settings', () => {
  it('builds no TLS and no SASL by default', () => {
    const s = kafkaSecurity(parseConfig({}));
    expect(s.ssl).toBeUndefined();
    expect(s.sasl).toBeUndefined();
    expect(s.summary).toEqual({ tls: false, mtls: false });
  });

  it('reads the CA and the client certificate, and never turns certificate checks off', () => {
    const s = kafkaSecurity(
      parseConfig({
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: certs.ca,
        KAFKA_SSL_CERT_FILE: certs.clientCert,
        KAFKA_SSL_KEY_FILE: certs.clientKey,
      }),
    );
    expect(s.ssl?.ca).toContain('BEGIN CERTIFICATE');
    expect(s.ssl?.cert).toContain('BEGIN CERTIFICATE');
    expect(s.ssl?.key).toContain('PRIVATE KEY');
    expect(s.ssl).not.toHaveProperty('rejectUnauthorized');
    expect(s.summary).toEqual({ tls: true, mtls: true });
  });

  it('passes SCRAM and PLAIN credentials to kafkajs as they are', () => {
    const s = kafkaSecurity(
      parseConfig({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'thena', KAFKA_SASL_PASSWORD: 'pw' }),
    );
    expect(s.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'thena', password: 'pw' });
    expect(s.summary).toEqual({ tls: false, mtls: false, sasl: 'scram-sha-512', username: 'thena' });
  });

  it('names each setting that cannot work, and the fix', () => {
    expect(problems({ KAFKA_SSL_CA_FILE: certs.ca })).toEqual([
      'KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not true: set KAFKA_SSL=true (the file is used over TLS only)',
    ]);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: certs.clientCert })).toEqual([
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (a client certificate and its key): set both or neither',
    ]);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') })).toEqual([
      `KAFKA_SSL_CA_FILE: cannot read '${join(dir, 'missing.pem')}' (ENOENT)`,
    ]);
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello\n');
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: notPem })[0]).toMatch(
      /^KAFKA_SSL_CA_FILE: '.*not\.pem' holds no certificate Node can read as PEM/,
    );
    // The key of the broker's certificate given with the client's.
    expect(
      problems({
        KAFKA_SSL: 'true',
        KAFKA_SSL_CERT_FILE: certs.clientCert,
        KAFKA_SSL_KEY_FILE: join(dir, 'broker.key'),
      }),
    ).toEqual([`KAFKA_SSL_KEY_FILE: '${join(dir, 'broker.key')}' is not the key of KAFKA_SSL_CERT_FILE's certificate`]);
    expect(problems({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'thena' })).toEqual([
      'KAFKA_SASL_MECHANISM=scram-sha-512 needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    ]);
    expect(problems({ KAFKA_SASL_USERNAME: 'thena', KAFKA_SASL_PASSWORD: 'pw' })).toEqual([
      "KAFKA_SASL_USERNAME is set but KAFKA_SASL_MECHANISM is not: set it to the listener's mechanism (plain, scram-sha-256 or scram-sha-512)",
      "KAFKA_SASL_PASSWORD is set but KAFKA_SASL_MECHANISM is not: set it to the listener's mechanism (plain, scram-sha-256 or scram-sha-512)",
    ]);
    expect(
      problems({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'thena', KAFKA_SASL_PASSWORD: 'pw' }),
    ).toEqual(['KAFKA_SASL_MECHANISM=plain sends its secret as it is: set KAFKA_SSL=true (a SASL_SSL listener)']);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_USERNAME: 'thena' })).toEqual([
      "KAFKA_SASL_USERNAME is set but KAFKA_SASL_MECHANISM=oauthbearer takes its tokens from Google's Application Default Credentials: unset it (or use plain with a service account's key)",
    ]);
  });

  it('refuses a mechanism it does not know, naming the ones it does, and never echoes the password', () => {
    expect(() => parseConfig({ KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(
      "KAFKA_SASL_MECHANISM: 'gssapi' must be equal to one of the allowed values; expected one of plain, scram-sha-256, scram-sha-512, oauthbearer",
    );
    const secret = 'hunter2-do-not-print';
    const all = problems({ KAFKA_SASL_PASSWORD: secret }).join('\n');
    expect(all).toContain('KAFKA_SASL_PASSWORD');
    expect(all).not.toContain(secret);
  });
});

describe('what a failure to reach Kafka means', () => {
  const plain: SecuritySummary = { tls: false, mtls: false };
  const scramOverTls: SecuritySummary = { tls: true, mtls: false, sasl: 'scram-sha-512', username: 'thena' };

  it('a refused password names the user and the settings, through kafkajs wrapping it', () => {
    const refused = new (KafkaJSSASLAuthenticationError as unknown as ErrorClass)(
      'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    );
    const wrapped = new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 0, retryTime: 300 });
    expect(securityProblem(wrapped, scramOverTls)).toMatch(
      /^Kafka refused the credentials of 'thena' \(.*invalid credentials.*\): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, and that KAFKA_SASL_MECHANISM \(scram-sha-512\) is one the listener enables for that user$/,
    );
  });

  it('a certificate from an unknown CA points at KAFKA_SSL_CA_FILE', () => {
    const err = new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain', {
      broker: '127.0.0.1:9093',
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(securityProblem(err, scramOverTls)).toBe(
      "Kafka at 127.0.0.1:9093's TLS certificate is not signed by a CA this service trusts (SELF_SIGNED_CERT_IN_CHAIN): set KAFKA_SSL_CA_FILE to the PEM of the CA that signed the brokers' certificates",
    );
  });

  it('a connection closed before any answer names TLS and SASL for a plaintext client', () => {
    const err = new KafkaJSConnectionClosedError('Closed connection', { host: '127.0.0.1', port: 9093 });
    expect(securityProblem(err, plain)).toBe(
      'Kafka at 127.0.0.1:9093 closed the connection before answering: a listener that requires TLS does this to a plaintext client (set KAFKA_SSL=true); one that requires SASL, to a client without credentials (set KAFKA_SASL_MECHANISM and its credentials)',
    );
  });

  it('says nothing of settings for a broker that is merely down', () => {
    const err = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', {
      broker: '127.0.0.1:9092',
      code: 'ECONNREFUSED',
    });
    expect(securityProblem(err, plain)).toBeUndefined();
    expect(securityProblem(err, scramOverTls)).toBeUndefined();
  });
});
