// Every metric the Grafana dashboard queries is one the services really export: read from the
// /metrics of a running ingress and a running consumer service process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { localDir, repoRoot } from '../../infra/local/paths.js';
import { startProcess, type ManagedProcess } from '../../infra/local/process.js';
import { startIngress, type RunningIngress } from '../support/ingress.js';
import { waitFor } from '../support/wait.js';
import { serviceArgs } from '../support/build.js';
import { testDataset } from '../support/drop-datasets.js';

const metricsPort = 29320;
let ingress: RunningIngress | undefined;
let consumer: ManagedProcess | undefined;

afterAll(async () => {
  await Promise.allSettled([ingress?.close(), consumer?.stop()]);
});

describe('the Grafana dashboard', () => {
  it('queries only metrics the services export', async () => {
    const dashboard = JSON.parse(
      readFileSync(join(repoRoot, 'infra/observability/grafana/dashboards/thena-lake.json'), 'utf8'),
    );
    const queried = new Set<string>(
      dashboard.panels
        .flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr))
        .flatMap((expr: string) =>
          [...expr.matchAll(/\b(thena_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, '')),
        ),
    );
    expect(queried.size).toBeGreaterThan(8);

    ingress = await startIngress(inject('kafkaBrokers'));
    consumer = startProcess({
      name: 'request-csat consumer',
      command: process.execPath,
      args: [...serviceArgs('consumers/main.ts'), 'request-csat'],
      env: {
        KAFKA_BROKERS: inject('kafkaBrokers').join(','),
        LAKE_DIR: join(localDir, 'test', 'dashboard-lake'),
        HOST: '127.0.0.1',
        METRICS_PORT: String(metricsPort),
        BIGQUERY_PROJECT: inject('bigqueryProject'),
        BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint'),
        BIGQUERY_DATASET: testDataset('dashboard'),
        LOG_LEVEL: 'warn',
      },
      logFile: join(localDir, 'test', 'dashboard-consumer.log'),
    });
    // Running: ready (its /metrics answers from the start, before the sinks' metrics exist).
    await waitFor(
      'the consumer to be ready',
      async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined))?.status === 200,
      60_000,
      250,
    );
    const consumerMetrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const exported = new Set(
      [consumerMetrics, await (await fetch(`${ingress.url}/metrics`)).text()]
        .join('\n')
        .split('\n')
        .filter((l) => l.startsWith('# TYPE '))
        .map((l) => l.split(' ')[2]!),
    );
    const missing = [...queried].filter((m) => !exported.has(m));
    expect(missing).toEqual([]);
  });
});
