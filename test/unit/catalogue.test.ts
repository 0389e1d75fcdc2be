// Every table of the catalogue is known everywhere a table must be: npm start runs its consumer,
// compose runs it and Prometheus scrapes it, both engines create its views, and the fault suite's
// accounting counts it. A table added to tables/catalogue.ts and forgotten in one of these fails here.
// The views over several tables (the metric views) exist in both engines too, read only views,
// and are left out where a table they read is.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot } from '../../infra/local/paths.js';
import { pipelineServices } from '../../infra/local/services.js';
import { openLake } from '../../services/lake/duckdb.js';
import { catalogue, crossTableViews, crossViewsOf, tableViewsOf, viewSql, viewsOf } from '../../tables/catalogue.js';
import { factViews, platformFactViews, rejectionsView } from '../support/accounting.js';

const file = (p: string) => readFileSync(join(repoRoot, p), 'utf8');
const compose = YAML.parse(file('docker-compose.yml'), { merge: true }) as { services: Record<string, any> };
const prometheusTargets: string[] = YAML.parse(file('infra/observability/prometheus.yml')).scrape_configs.flatMap(
  (c: { static_configs: { targets: string[] }[] }) => c.static_configs.flatMap((s) => s.targets),
);

describe('the catalogue', () => {
  it('names each table, consumer service, view and metrics port once', () => {
    const once = (values: unknown[]) => expect(new Set(values).size).toBe(values.length);
    once(catalogue.map((t) => t.name));
    once(catalogue.map((t) => t.consumer.service));
    once(catalogue.map((t) => t.consumer.metricsPort));
    once(viewsOf().map((v) => v.name));
    for (const t of catalogue)
      expect(
        t.views.map((v) => v.name),
        t.name,
      ).toContain(t.factView);
  });
});

describe.each(catalogue.map((t) => [t.name, t] as const))('table %s', (_name, table) => {
  const { service, metricsPort } = table.consumer;

  it('has its consumer in npm start, on its own metrics port', () => {
    expect(pipelineServices).toContainEqual({
      name: service,
      entry: 'consumers/main.ts',
      args: [service],
      metricsPort,
    });
  });

  it('has its consumer in docker-compose.yml, scraped by Prometheus', () => {
    const composed = compose.services[service];
    expect(composed, `a compose service named ${service}`).toBeDefined();
    expect(composed.command).toEqual(['dist/services/consumers/main.js', service]);
    expect(prometheusTargets).toContain(`${service}:${composed.environment.METRICS_PORT}`);
  });

  it('has its views in DuckDB, and in BigQuery under the dataset', async () => {
    const lake = await openLake(mkdtempSync(join(tmpdir(), 'catalogue-')));
    const names = (await lake.runAndReadAll('SELECT table_name FROM information_schema.tables')).getRowsJS().flat();
    expect(names).toContain(table.name);
    for (const view of table.views) expect(names).toContain(view.name);
    lake.closeSync();
    for (const view of viewsOf([table])) {
      const sql = viewSql(view, (ref) => `\`p.d.${ref}\``);
      expect(sql, view.name).not.toMatch(/\{\{/);
      expect(sql, view.name).toMatch(/`p\.d\.\w+`/);
    }
  });

  it('has its place in an accounting (the fault suite’s, or the platform events’ test)', () => {
    const counted =
      factViews[table.factView] === table ||
      platformFactViews[table.factView] === table ||
      rejectionsView === table.factView;
    expect(counted, `${table.factView} counted`).toBe(true);
  });
});

describe.each(crossTableViews.flatMap((set) => set.views.map((v) => [v.name, set] as const)))(
  'cross-table view %s',
  (name, set) => {
    const readable = new Set([...tableViewsOf().map((v) => v.name), ...crossViewsOf().map((v) => v.name)]);

    it('reads tables of the catalogue, and comes after every table’s own views', () => {
      for (const table of set.reads) expect(catalogue.map((t) => t.name)).toContain(table);
      const names = viewsOf().map((v) => v.name);
      expect(names.indexOf(name)).toBeGreaterThan(Math.max(...tableViewsOf().map((v) => names.indexOf(v.name))));
    });

    it('exists in DuckDB, and in BigQuery reads views of the dataset, never a table or a generation', async () => {
      const lake = await openLake(mkdtempSync(join(tmpdir(), 'catalogue-')));
      const names = (await lake.runAndReadAll('SELECT table_name FROM information_schema.tables')).getRowsJS().flat();
      lake.closeSync();
      expect(names).toContain(name);
      const view = crossViewsOf().find((v) => v.name === name)!;
      const references = [...viewSql(view, (ref) => `\`p.d.${ref}\``).matchAll(/`p\.d\.(\w+)`/g)].map((m) => m[1]);
      expect(references.length).toBeGreaterThan(0);
      for (const ref of references) expect(readable, `${name} reads ${ref}`).toContain(ref);
    });

    it('is left out where a table it reads is', () => {
      const without = catalogue.filter((t) => t.name !== set.reads[0]);
      expect(crossViewsOf(without).map((v) => v.name)).not.toContain(name);
      expect(viewsOf(without).map((v) => v.name)).not.toContain(name);
    });
  },
);

describe('viewSql', () => {
  it('refuses {{fact_key}} in a view with no table of its own', () => {
    expect(() => viewSql({ name: 'v', sql: 'SELECT {{fact_key}} FROM {{t}}' }, (n) => n)).toThrow(
      /view v: \{\{fact_key\}\} is only for a table's own views/,
    );
  });
});
