// A secured Kafka: a broker of this file's own with a SASL_SSL listener (PLAIN, SCRAM-SHA-512, and
// OAUTHBEARER in Kafka's unsecured mode) and an mTLS listener, its certificates made by openssl when
// the file starts. The ingress, a consumer service writing both sinks and `npm run rebuild` run as
// the image runs them, configured only by the KAFKA_* variables; settings that cannot work fail
// with the message that names them, fast for a command and without a restart loop for a service.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeTestCertificates, type TestCertificates } from '../../infra/kafka/certs.js';
import type { LocalKafka } from '../../infra/kafka/kafka.js';
import { localDir } from '../../infra/local/paths.js';
import { startProcess } from '../../infra/local/process.js';
import { topics } from '../../schemas/topics.js';
import { migrate } from '../../services/bigquery/index.js';
import { kafkaTransport } from '../../services/ingress/transport.js';
import { readLake } from '../../services/lake/duckdb.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { parseConfig } from '../../services/shared/config.js';
import {
  TokenError,
  type AccessToken,
  type AccessTokenSource,
  type TokenFormat,
} from '../../services/shared/google-kafka-token.js';
import { createKafka, ensureTopics, kafkaConnection } from '../../services/shared/kafka.js';
import { webhook } from '../fixtures/webhooks.js';
import { startTestKafka } from '../support/broker.js';
import { serviceArgs } from '../support/build.js';
import { testDataset } from '../support/drop-datasets.js';
import { ownBrokerPorts } from '../support/global-setup.js';
import { busyConsumers } from '../support/pipeline.js';
import { quietLogger } from '../support/lake.js';
import { Service } from '../support/service.js';
import { uniqueName, waitFor } from '../support/wait.js';

const ports = {
  ...ownBrokerPorts.secured,
  saslSsl: ownBrokerPorts.secured.port + 2,
  mtls: ownBrokerPorts.secured.port + 3,
  ingress: ownBrokerPorts.secured.port + 4,
  metrics: ownBrokerPorts.secured.port + 5,
};
const user = { name: 'thena-lake', password: 'test-password-1' };
const dir = join(localDir, 'test', 'kafka-security');
const token = 'Bearer secured-test-token';

let kafka: LocalKafka;
let certs: TestCertificates;
let dataset: string;
const project = () => inject('bigqueryProject');
const bq = () => createBigQuery({ BIGQUERY_PROJECT: project(), BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint') })!;

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  certs = await makeTestCertificates(join(dir, 'certs'));
  dataset = testDataset('secured');
  [kafka] = await Promise.all([
    startTestKafka({
      dataDir: join(dir, 'kafka'),
      port: ports.port,
      controllerPort: ports.controllerPort,
      fresh: true,
      secured: {
        saslSslPort: ports.saslSsl,
        mtlsPort: ports.mtls,
        keystore: certs.brokerKeystore,
        truststore: certs.ca,
        users: [user],
        // Sessions re-authenticate within 10 s, as the tokens of the OAUTHBEARER test live.
        reauthMs: 10_000,
      },
    }),
    migrate(bq(), { dataset, location: 'US' }),
  ]);
  await ensureTopics(
    createKafka({ clientId: 'setup', brokers: kafka.brokers, logger: quietLogger }),
    Object.values(topics),
  );
}, 180_000);

afterAll(async () => {
  await kafka?.stop();
});

/** What every process of this file is configured with, plus the Kafka settings of a test. */
function env(kafkaSettings: Record<string, string>): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    BIGQUERY_PROJECT: project(),
    BIGQUERY_DATASET: dataset,
    BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint'),
    BIGQUERY_STORAGE_API_ENDPOINT: inject('bigqueryStorageEndpoint'),
    BIGQUERY_MIGRATE_ON_START: 'false',
    LAKE_DIR: join(dir, 'lake'),
    INGRESS_SPOOL_DIR: join(dir, 'spool'),
    // Files and batches every 2 s, 6 s sessions: as the fault suite's pipelines.
    ...busyConsumers,
    ...kafkaSettings,
  };
}

const overTls = (mechanism: string, password = user.password) => ({
  KAFKA_BROKERS: `127.0.0.1:${ports.saslSsl}`,
  KAFKA_SSL: 'true',
  KAFKA_SSL_CA_FILE: certs.ca,
  KAFKA_SASL_MECHANISM: mechanism,
  KAFKA_SASL_USERNAME: user.name,
  KAFKA_SASL_PASSWORD: password,
});

const logFile = (name: string) => join(dir, 'logs', `${name}.${Date.now()}.log`);

/** A service process as the image runs it, on `port`, with the Kafka settings of a test. */
function service(name: string, args: string[], port: number, own: Record<string, string>) {
  return (settings: Record<string, string>): Service =>
    new Service(
      name,
      () =>
        startProcess({
          name,
          command: process.execPath,
          args,
          env: { ...env(settings), ...own },
          logFile: logFile(name),
        }),
      `http://127.0.0.1:${port}`,
      false,
    );
}

const ingress = service('ingress', serviceArgs('ingress/main.ts'), ports.ingress, {
  PORT: String(ports.ingress),
  INGRESS_AUTH_TOKENS: token,
});
const consumer = service('request-events', [...serviceArgs('consumers/main.ts'), 'request-events'], ports.metrics, {
  METRICS_PORT: String(ports.metrics),
});

/** Runs one of the project's commands to its end: its exit code, what it printed, how long it took. */
async function command(entry: string, args: string[], settings: Record<string, string>) {
  const started = Date.now();
  const file = logFile(entry.replace(/\W/g, '-'));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const proc = startProcess({
    name: entry,
    command: process.execPath,
    args: [...serviceArgs(entry), ...args],
    env: env(settings),
    logFile: file,
  });
  const code = await proc.exited;
  return { code, output: readFileSync(file, 'utf8'), seconds: (Date.now() - started) / 1000 };
}

async function post(requestId: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${ports.ingress}/webhooks/thena`, {
    method: 'POST',
    headers: { authorization: token, 'content-type': 'application/json' },
    body: JSON.stringify(webhook({ requestId })),
  });
  return res.status;
}

/** Events in request_history, in the lake and in BigQuery. */
async function counts(): Promise<{ lake: number; bigquery: number }> {
  const lake = await readLake(join(dir, 'lake'), async (c) =>
    Number((await c.runAndReadAll('SELECT count(*) FROM request_history')).getRowsJS()[0]![0]),
  ).catch(() => 0);
  const [rows] = await bq().query(`SELECT count(*) AS n FROM \`${project()}.${dataset}.request_history\``);
  return { lake, bigquery: Number((rows[0] as { n: number }).n) };
}

describe('Kafka over TLS with SASL', () => {
  let sent = 0;

  for (const mechanism of ['scram-sha-512', 'plain']) {
    it(`${mechanism}: the ingress, a consumer service into both sinks, and rebuild`, async () => {
      const settings = overTls(mechanism);
      const services = [ingress(settings), consumer(settings)];
      try {
        await Promise.all(services.map((s) => s.start()));
        for (let i = 0; i < 4; i++) expect(await post(`${mechanism === 'plain' ? 7100 : 7000}${i}`)).toBe(202);
        sent += 4;
        await waitFor(
          `${sent} events in both sinks`,
          async () => {
            const c = await counts();
            return c.lake === sent && c.bigquery === sent;
          },
          60_000,
          500,
        );

        const rebuilt = await command(
          'consumers/rebuild-cli.ts',
          ['--table', 'request_events', '--force', '--keep-old-seconds', '1'],
          settings,
        );
        expect(rebuilt.output).toMatch(/request_events \(lake\): rebuilt, generation \d+ -> \d+/);
        expect(rebuilt.output).toMatch(/request_events \(bigquery\): rebuilt, generation \d+ -> \d+/);
        expect(rebuilt.code).toBe(0);
        expect(await counts()).toEqual({ lake: sent, bigquery: sent });
      } finally {
        await Promise.all(services.map((s) => s.stop()));
      }
    }, 240_000);
  }

  it('a wrong password: a command exits at once saying so, a service stays up, not ready, and says why', async () => {
    const wrong = overTls('scram-sha-512', 'not-the-password');
    const topicsRun = await command('admin/create-topics.ts', [], wrong);
    expect(topicsRun.code).toBe(1);
    expect(topicsRun.output).toContain(`refused the credentials of '${user.name}'`);
    expect(topicsRun.output).toContain('check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
    expect(topicsRun.output).not.toContain('not-the-password');
    expect(topicsRun.seconds).toBeLessThan(20);

    const service = consumer(wrong);
    service.spawn();
    try {
      const reason = await waitFor(
        'the consumer service to say why it is not ready',
        async () => {
          const res = await fetch(`http://127.0.0.1:${ports.metrics}/readyz`).catch(() => undefined);
          const body = (await res?.json().catch(() => undefined)) as { reason?: string } | undefined;
          return res?.status === 503 && body?.reason?.includes('refused the credentials') ? body.reason : undefined;
        },
        60_000,
        250,
      );
      expect(reason).toContain('KAFKA_SASL_PASSWORD');
      expect(service.crashes).toEqual([]); // up, waiting: no exit for a supervisor to restart in a loop
      expect(service.pid).toBeDefined();
    } finally {
      await service.stop();
    }
  }, 120_000);

  it('a plaintext client at the TLS listener is told to set KAFKA_SSL', async () => {
    const run = await command('admin/create-topics.ts', [], { KAFKA_BROKERS: `127.0.0.1:${ports.saslSsl}` });
    expect(run.code).toBe(1);
    expect(run.output).toContain('closed the connection before answering');
    expect(run.output).toContain('set KAFKA_SSL=true');
    expect(run.seconds).toBeLessThan(20);
  }, 60_000);

  it('mTLS: a client certificate signed by the CA connects; none, or a CA that did not sign the broker, is named', async () => {
    const mtls = { KAFKA_BROKERS: `127.0.0.1:${ports.mtls}`, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: certs.ca };
    const withCert = await command('admin/create-topics.ts', [], {
      ...mtls,
      KAFKA_SSL_CERT_FILE: certs.clientCert,
      KAFKA_SSL_KEY_FILE: certs.clientKey,
    });
    expect(withCert.output).toContain('topics ready');
    expect(withCert.code).toBe(0);

    const without = await command('admin/create-topics.ts', [], mtls);
    expect(without.code).toBe(1);
    expect(without.output).toContain('asks for a client certificate (mTLS) and this client has none');

    const otherCa = await command('admin/create-topics.ts', [], { ...mtls, KAFKA_SSL_CA_FILE: certs.otherCa });
    expect(otherCa.code).toBe(1);
    expect(otherCa.output).toContain('is not signed by a CA this service trusts');
    expect(otherCa.output).toContain('set KAFKA_SSL_CA_FILE');
  }, 60_000);
});

/** Kafka's unsecured OAUTHBEARER mode takes unsigned JWTs (alg none) in place of Google's wrapper. */
const unsecuredJwt: TokenFormat = (t, nowMs) => {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none' })}.${b64({ sub: t.principal, iat: nowMs / 1000, exp: t.expiresAtMs / 1000 })}.`;
};

/** The SASL_SSL listener with OAUTHBEARER, tokens from `tokens` sent as Kafka's unsecured JWTs. */
const oauthConnection = (tokens: AccessTokenSource) =>
  kafkaConnection(
    parseConfig({
      KAFKA_BROKERS: `127.0.0.1:${ports.saslSsl}`,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: certs.ca,
      KAFKA_SASL_MECHANISM: 'oauthbearer',
    }),
    { tokens, format: unsecuredJwt },
  );

describe('Kafka with OAUTHBEARER tokens', () => {
  it('keeps traffic flowing across token expiries, re-authenticating, and through a failed token fetch', async () => {
    const lifeMs = 10_000;
    const issued: AccessToken[] = [];
    let failures = 0;
    let failNext = false;
    // A stand-in for Application Default Credentials: tokens that live 10 s, and a fetch that fails when told.
    const fakeAdc: AccessTokenSource = async () => {
      if (failNext) {
        failNext = false;
        failures++;
        throw new Error('the metadata server answered 503');
      }
      const t = {
        token: `fake-${issued.length}`,
        expiresAtMs: Date.now() + lifeMs,
        principal: 'thena-lake@test.iam.gserviceaccount.com',
      };
      issued.push(t);
      return t;
    };
    const connection = oauthConnection(fakeAdc);
    // Every authentication and re-authentication asks the provider for a token: counted.
    const sasl = connection.security!.sasl as { oauthBearerProvider: () => Promise<{ value: string }> };
    const provide = sasl.oauthBearerProvider;
    const asked: number[] = [];
    sasl.oauthBearerProvider = () => (asked.push(Date.now()), provide());
    const topic = uniqueName('test.oauth');
    await ensureTopics(createKafka({ clientId: 'oauth-setup', ...connection, logger: quietLogger }), [
      { name: topic, partitions: 2, description: 'test', config: {} },
    ]);
    const transport = kafkaTransport({
      connection,
      probeTopic: topic,
      topics: [{ name: topic, partitions: 2, description: 'test', config: {} }],
      producers: 1,
      logger: quietLogger,
    });
    const received = new Set<string>();
    const reader: Consumer = createKafka({ clientId: 'oauth-reader', ...connection, logger: quietLogger }).consumer({
      groupId: uniqueName('oauth'),
    });
    try {
      await reader.connect();
      await reader.subscribe({ topic, fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => void received.add(message.value!.toString()) });
      const started = Date.now();
      let n = 0;
      // 35 s of messages: three and a half token lives, with a token fetch failing after 15 s.
      while (Date.now() - started < 35_000) {
        if (n === 60) failNext = true;
        const value = `m${n++}`;
        const { partition } = transport.route({ topic, key: value, value });
        await transport.send([{ topic, key: value, value, partition }]);
        await new Promise((r) => setTimeout(r, 250));
      }
      await waitFor(`all ${n} messages read back`, () => received.size === n, 30_000, 250);
      expect(received.size).toBe(n);
      expect(failures).toBe(1);
      // Tokens were fetched again as they aged: at least one per expiry, for producer, reader and probe.
      expect(issued.length).toBeGreaterThanOrEqual(4);
      // The broker ends each session within 10 s: in the last 20 s every client (producer, probe,
      // reader) authenticated again, at least twice each.
      expect(asked.filter((at) => at > started + 15_000).length).toBeGreaterThanOrEqual(6);
      expect(transport.readiness()).toEqual({ ready: true });
    } finally {
      await reader.disconnect().catch(() => undefined);
      await transport.close();
    }
  }, 120_000);

  it('says on readiness why no token could be had when the credentials give none', async () => {
    const message =
      "KAFKA_SASL_MECHANISM=oauthbearer: no token from Google's Application Default Credentials: the metadata server answered 503";
    const connection = oauthConnection(async () => {
      throw new TokenError(message);
    });
    const transport = kafkaTransport({
      connection,
      probeTopic: topics.requestEvents.name,
      topics: [topics.requestEvents],
      producers: 1,
      logger: quietLogger,
    });
    try {
      const reason = await waitFor(
        'readiness to give the reason',
        () => transport.readiness().reason?.includes(message) && transport.readiness().reason,
        30_000,
        250,
      );
      expect(reason).toContain('Kafka does not answer');
      expect(transport.readiness().ready).toBe(false);
    } finally {
      await transport.close();
    }
  }, 60_000);
});
