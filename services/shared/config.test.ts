import { describe, expect, it } from 'vitest';
import { configSchema } from '../../schemas/config.schema.js';
import { ConfigError, describeVariables, givenVariables, parseConfig } from './config.js';

function problems(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('fills in the documented defaults when nothing is set', () => {
    expect(parseConfig({})).toEqual({
      PORT: 8080,
      HOST: '0.0.0.0',
      INGRESS_BODY_LIMIT_BYTES: 4194304,
      INGRESS_PUBLISH_TIMEOUT_MS: 5000,
      INGRESS_KAFKA_PRODUCERS: 1,
      INGRESS_REQUEST_TIMEOUT_MS: 30000,
      INGRESS_RATE_LIMIT_PER_MINUTE: 60000,
      INGRESS_TRUSTED_PROXIES: [],
      INGRESS_SPOOL_DIR: './data/spool',
      INGRESS_SPOOL_MAX_BYTES: 1073741824,
      INGRESS_DRAIN_ON_EXIT_MS: 0,
      INGRESS_AUTH_TOKENS: [],
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      KAFKA_SSL: false,
      KAFKA_SESSION_TIMEOUT_MS: 30000,
      KAFKA_REQUEST_TIMEOUT_MS: 30000,
      KAFKA_STALL_EXIT_MS: 120000,
      CONSUMER_RETRY_MAX_MS: 30000,
      LAKE_DIR: './data/lake',
      LAKE_FILE_MAX_ROWS: 100000,
      LAKE_FILE_MAX_BYTES: 67108864,
      LAKE_FILE_MAX_AGE_SECONDS: 30,
      LAKE_COMPACT_TARGET_MB: 128,
      LAKE_COMPACT_GRACE_SECONDS: 300,
      METRICS_PORT: 9464,
      PAYLOAD_DRIFT_ACKNOWLEDGED: [],
      BIGQUERY_DATASET: 'thena_lake',
      BIGQUERY_BATCH_MAX_AGE_MS: 1000,
      BIGQUERY_APPEND_MAX_BYTES: 10_000_000,
      BIGQUERY_LOCATION: 'US',
      BIGQUERY_MIGRATE_ON_START: true,
      LOCAL_PORT_OFFSET: 0,
      LOCAL_LAKE_IN_BUCKET: false,
      LOG_LEVEL: 'info',
      THENA_API_REQUESTS_PER_SECOND: 5,
      THENA_API_TIMEOUT_MS: 60000,
    });
  });

  it('reads acknowledged payload drift as source:kind:path entries, a path holding colons included', () => {
    expect(
      parseConfig({ PAYLOAD_DRIFT_ACKNOWLEDGED: 'request:type:request.activity[].ts, platform:unknown:a:b' })
        .PAYLOAD_DRIFT_ACKNOWLEDGED,
    ).toEqual(['request:type:request.activity[].ts', 'platform:unknown:a:b']);
  });

  it('parses lists, numbers and URLs', () => {
    const config = parseConfig({
      PORT: '9000',
      INGRESS_AUTH_TOKENS: 'Bearer one, Bearer two,',
      KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9092',
      BIGQUERY_PROJECT: 'my-project-123',
      BIGQUERY_API_ENDPOINT: 'http://127.0.0.1:9050',
      LAKE_DIR: '/srv/lake',
    });
    expect(parseConfig({ LAKE_DIR: 'gs://my-lake/thena/prod' }).LAKE_DIR).toBe('gs://my-lake/thena/prod');
    expect(problems({ LAKE_DIR: 's3://my-lake/thena' })[0]).toMatch(/LAKE_DIR.*gs:\/\/<bucket>/);
    expect(problems({ LAKE_DIR: 'gs://My_Lake' })[0]).toMatch(/LAKE_DIR/);
    expect(config).toMatchObject({
      PORT: 9000,
      INGRESS_AUTH_TOKENS: ['Bearer one', 'Bearer two'],
      KAFKA_BROKERS: ['kafka-1:9092', 'kafka-2:9092'],
      BIGQUERY_PROJECT: 'my-project-123',
      BIGQUERY_API_ENDPOINT: 'http://127.0.0.1:9050',
      LAKE_DIR: '/srv/lake',
    });
  });

  it('treats an empty value as unset', () => {
    expect(parseConfig({ PORT: '', BIGQUERY_PROJECT: '  ' })).toMatchObject({ PORT: 8080 });
    expect(parseConfig({ BIGQUERY_PROJECT: '' }).BIGQUERY_PROJECT).toBeUndefined();
  });

  it.each([
    [{ PORT: 'eighty' }, "PORT: 'eighty' must be integer; expected an integer port between 1 and 65535, e.g. 8080"],
    [{ PORT: '70000' }, "PORT: '70000' must be <= 65535; expected an integer port between 1 and 65535, e.g. 8080"],
    [
      { KAFKA_BROKERS: 'localhost' },
      "KAFKA_BROKERS: 'localhost' is not valid; expected host:port[,host:port], e.g. 127.0.0.1:9092",
    ],
    [
      { KAFKA_BROKERS: 'a:1,b' },
      "KAFKA_BROKERS: 'b' is not valid; expected host:port[,host:port], e.g. 127.0.0.1:9092",
    ],
    [
      { BIGQUERY_PROJECT: 'My Project' },
      "BIGQUERY_PROJECT: 'My Project' is not valid; expected a Google Cloud project id, e.g. my-project-123",
    ],
    [
      { BIGQUERY_DATASET: 'thena-lake' },
      "BIGQUERY_DATASET: 'thena-lake' is not valid; expected letters, digits and underscores, e.g. thena_lake",
    ],
    [
      { BIGQUERY_API_ENDPOINT: 'localhost:9050' },
      "BIGQUERY_API_ENDPOINT: 'localhost:9050' is not valid; expected an http(s) URL, e.g. http://127.0.0.1:9050",
    ],
    [
      { PAYLOAD_DRIFT_ACKNOWLEDGED: 'request:unknown:request.a,request.b' },
      "PAYLOAD_DRIFT_ACKNOWLEDGED: 'request.b' is not valid; expected entries such as request:unknown:request.brandNew,platform:type:payload.ticket.statusName",
    ],
    [
      { LOG_LEVEL: 'verbose' },
      "LOG_LEVEL: 'verbose' must be equal to one of the allowed values; expected one of fatal, error, warn, info, debug, trace, silent",
    ],
  ])('names the variable, the value and the fix: %j', (env, message) => {
    expect(problems(env)).toEqual([message]);
  });

  // Every bounded integer setting at its limits: taken at each, refused one past each, by name.
  const bounded = Object.entries(configSchema.properties).flatMap(([name, p]) =>
    p.type === 'integer' && 'minimum' in p && 'maximum' in p ? [[name, p.minimum, p.maximum] as const] : [],
  );
  it.each(bounded)('takes %s at %i and at %i, and nothing past them', (name, min, max) => {
    expect((parseConfig({ [name]: String(min) }) as Record<string, unknown>)[name]).toBe(min);
    expect((parseConfig({ [name]: String(max) }) as Record<string, unknown>)[name]).toBe(max);
    for (const past of [min - 1, max + 1]) {
      const [problem] = problems({ [name]: String(past) });
      expect(problem).toMatch(new RegExp(`^${name}: '${past}' `));
    }
  });

  it('reports every bad variable at once', () => {
    expect(problems({ PORT: '0', KAFKA_BROKERS: 'nope', LOG_LEVEL: 'loud' })).toHaveLength(3);
  });

  it('never echoes a secret value', () => {
    expect(problems({ INGRESS_AUTH_TOKENS: 'Bearer good,Bearer sécret' })).toEqual([
      'INGRESS_AUTH_TOKENS: (value hidden) is not valid; expected comma-separated printable-ASCII tokens, each optionally preceded by workspace=, e.g. "acme=Bearer abc,Bearer def"',
    ]);
  });

  it('never echoes the pseudonymisation key either', () => {
    expect(problems({ PSEUDONYMIZATION_KEY: 'too-short-secret' })).toEqual([
      'PSEUDONYMIZATION_KEY: (value hidden) is not valid; expected at least 32 printable ASCII characters, e.g. the output of `openssl rand -hex 32`',
    ]);
  });

  it('describes every variable for the documentation', () => {
    expect(describeVariables().map((v) => v.name)).toContain('INGRESS_AUTH_TOKENS');
    expect(describeVariables().every((v) => v.description.length > 10)).toBe(true);
  });

  it('tells which variables were given rather than defaulted', () => {
    expect(givenVariables({ KAFKA_BROKERS: 'a:1', PORT: '', OTHER: 'x' })).toEqual(new Set(['KAFKA_BROKERS']));
  });
});
