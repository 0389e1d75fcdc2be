import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { requestActivity, requestEvents, ticketEvents } from '../../tables/catalogue.js';
import { envelopeMessage } from '../../test/fixtures/envelopes.js';
import { webhook } from '../../test/fixtures/webhooks.js';
import { platformBody, platformMessage, ticket } from '../../test/fixtures/platform-events.js';
import { driftCounter, maxDriftPathLabels, otherPaths } from './drift-metrics.js';

const counts = async (registry: Registry): Promise<Record<string, string | number | undefined>[]> =>
  (await registry.getSingleMetric('thena_payload_drift_total')!.get()).values.map((v) => ({ ...v.labels, n: v.value }));

describe('the payload-drift counter', () => {
  it('counts each finding of each flattened message by source, path and kind', async () => {
    const registry = new Registry();
    const count = driftCounter(requestEvents, registry, [])!;
    for (const n of [1, 2]) count(requestEvents.consumer.flatten(envelopeMessage(webhook({ brandNew: n }), n)));
    count(requestEvents.consumer.flatten(envelopeMessage(webhook({ team_id: undefined }), 3)));
    expect(await counts(registry)).toEqual([
      { source: 'request', path: 'request.brandNew', kind: 'unknown', acknowledged: 'false', n: 2 },
      { source: 'request', path: 'request.team_id', kind: 'missing', acknowledged: 'false', n: 1 },
    ]);
  });

  it('labels acknowledged drift so the alert leaves it alone, and counts platform events as platform', async () => {
    const registry = new Registry();
    const count = driftCounter(ticketEvents, registry, ['platform:unknown:traceId'])!;
    const body = platformBody('ticket:updated', { ticket: ticket({ statusName: 7 }) }, { traceId: 't' });
    count(ticketEvents.consumer.flatten(platformMessage(body)));
    expect(await counts(registry)).toEqual([
      { source: 'platform', path: 'payload.ticket.statusName', kind: 'type', acknowledged: 'false', n: 1 },
      { source: 'platform', path: 'traceId', kind: 'unknown', acknowledged: 'true', n: 1 },
    ]);
  });

  it(`gives ${maxDriftPathLabels} paths a label of their own and counts the rest as ${otherPaths}`, async () => {
    const registry = new Registry();
    const count = driftCounter(requestEvents, registry, [])!;
    for (let i = 0; i < maxDriftPathLabels + 50; i++) {
      count(requestEvents.consumer.flatten(envelopeMessage(webhook({ [`invented${i}`]: i }), i)));
    }
    const values = await counts(registry);
    expect(values).toHaveLength(maxDriftPathLabels + 1);
    expect(values.find((v) => v.path === otherPaths)?.n).toBe(50);
    expect(values.find((v) => v.path === 'request.invented0')?.n).toBe(1);
  });

  it('is not made for a table that records no drift', () => {
    expect(driftCounter(requestActivity, new Registry(), [])).toBeUndefined();
  });
});
