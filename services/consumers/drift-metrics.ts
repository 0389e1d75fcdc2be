// The payload-drift counter of the consumer services whose tables record drift (request_events,
// ticket_events): thena_payload_drift_total{source, path, kind, acknowledged}, counted as rows leave
// the flattener, once per message read (a message read again after a restart counts again). The
// alert PayloadDrift fires on a (source, path, kind) the counter has not shown before
// (infra/observability/alerts.yml).
import { Counter, type Registry } from 'prom-client';
import type { FlattenResult } from '../../schemas/flattener.js';
import type { TableDefinition } from '../../schemas/table.js';
import { readDriftEntry } from '../../tables/drift/observe.js';
import { payloadDriftColumn } from '../../tables/drift/rules.js';

/** The source each table's findings belong to (the payload_drift view's `source`). */
const sourceOf: Record<string, 'request' | 'platform'> = { request_events: 'request', ticket_events: 'platform' };

/**
 * Paths a service gives a label of their own; later ones are counted as `(other)`. Any token holder
 * can invent paths, and every label value is a series Prometheus keeps.
 */
export const maxDriftPathLabels = 200;
export const otherPaths = '(other)';

/**
 * Counts the findings in the rows of each flatten result. `acknowledged` holds `source:kind:path`
 * entries (PAYLOAD_DRIFT_ACKNOWLEDGED): still counted, labelled acknowledged="true". Undefined for a
 * table that records no drift.
 */
export function driftCounter(
  table: Pick<TableDefinition, 'name' | 'columns'>,
  registry: Registry,
  acknowledged: readonly string[],
): ((result: FlattenResult) => void) | undefined {
  const source = sourceOf[table.name];
  if (!source || !table.columns.some((c) => c.name === payloadDriftColumn.name)) return undefined;
  const counter = new Counter({
    name: 'thena_payload_drift_total',
    help: 'Findings of payload drift (a body differing from what Thena documents), by source, path and kind.',
    labelNames: ['source', 'path', 'kind', 'acknowledged'] as const,
    registers: [registry],
  });
  const known = new Set(acknowledged);
  const labelled = new Set<string>();
  const label = (path: string) => {
    if (labelled.has(path)) return path;
    if (labelled.size >= maxDriftPathLabels) return otherPaths;
    labelled.add(path);
    return path;
  };
  return (result) => {
    if (result.kind !== 'rows') return;
    for (const row of result.rows) {
      const entries = row[payloadDriftColumn.name];
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        const found = readDriftEntry(entry as string);
        if (!found) continue;
        const ack = known.has(`${source}:${found.kind}:${found.path}`) ? 'true' : 'false';
        counter.inc({ source, path: label(found.path), kind: found.kind, acknowledged: ack });
      }
    }
  };
}
