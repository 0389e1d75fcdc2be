import { describe, expect, it } from 'vitest';
import { Counter } from 'prom-client';
import { createRegistry } from './metrics.js';

describe('createRegistry', () => {
  it('labels every metric with the service and exposes process metrics with the prefix', async () => {
    const registry = createRegistry('ingress');
    new Counter({ name: 'thena_test_total', help: 'test', registers: [registry] }).inc();
    const text = await registry.metrics();
    expect(text).toContain('thena_test_total{service="ingress"} 1');
    expect(text).toMatch(/thena_process_cpu_seconds_total\{service="ingress"\}/);
  });

  it('keeps registries of different services apart', async () => {
    const a = createRegistry('a');
    createRegistry('b');
    new Counter({ name: 'thena_only_a_total', help: 'a', registers: [a] });
    expect(await a.metrics()).toContain('thena_only_a_total');
  });
});
