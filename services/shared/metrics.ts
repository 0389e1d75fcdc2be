// One Prometheus registry per process, labelled with the service's name, with Node's default
// process metrics. Services declare their own counters and histograms on it, once, at start.
import { Registry, collectDefaultMetrics } from 'prom-client';

/** Metric names all start with this, per Prometheus naming conventions. */
export const metricPrefix = 'thena_';

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: metricPrefix });
  return registry;
}
