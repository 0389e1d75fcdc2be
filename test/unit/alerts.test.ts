// The alert rules are valid, and each fires on the series it is for and stays quiet on the others
// (infra/observability/alerts.test.yml, run by promtool). The check can fail: a rule whose
// threshold no longer matches its cases is caught.
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { installPromtool } from '../../infra/observability/promtool.js';
import { repoRoot } from '../../infra/local/paths.js';
import { run } from '../../infra/local/process.js';

const dir = join(repoRoot, 'infra/observability');
let promtool: string;
beforeAll(async () => {
  promtool = await installPromtool();
}, 120_000);

describe('alert rules', () => {
  it('pass promtool check and every unit test case', async () => {
    expect(await run(promtool, ['check', 'rules', join(dir, 'alerts.yml')])).toMatch(/SUCCESS: 9 rules found/);
    expect(await run(promtool, ['test', 'rules', join(dir, 'alerts.test.yml')])).toMatch(/SUCCESS/);
  });

  it('fail the cases when a rule stops firing where it should', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'alerts-'));
    writeFileSync(join(copy, 'alerts.yml'), readFileSync(join(dir, 'alerts.yml'), 'utf8').replace('> 900', '> 90000'));
    copyFileSync(join(dir, 'alerts.test.yml'), join(copy, 'alerts.test.yml'));
    await expect(run(promtool, ['test', 'rules', join(copy, 'alerts.test.yml')])).rejects.toThrow(/FAILED/);
  });

  it('fail the PayloadDrift cases when a restart or a path seen before would fire it again', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'alerts-'));
    const rules = readFileSync(join(dir, 'alerts.yml'), 'utf8');
    // Judged per instance, a new pod's counter is a new series.
    const perInstance = rules.replace(/max by \(source, path, kind\)/g, 'max by (source, path, kind, instance)');
    expect(perInstance).not.toBe(rules);
    writeFileSync(join(copy, 'alerts.yml'), perInstance);
    copyFileSync(join(dir, 'alerts.test.yml'), join(copy, 'alerts.test.yml'));
    await expect(run(promtool, ['test', 'rules', join(copy, 'alerts.test.yml')])).rejects.toThrow(/FAILED/);
  });

  it('are loaded by the observability profile’s Prometheus', () => {
    expect(readFileSync(join(dir, 'prometheus.yml'), 'utf8')).toMatch(
      /rule_files:\s*\n\s*- \/etc\/prometheus\/alerts\.yml/,
    );
    expect(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')).toContain(
      './infra/observability/alerts.yml:/etc/prometheus/alerts.yml:ro',
    );
  });
});
