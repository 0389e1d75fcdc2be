// The ingress's spool against a real broker: with Kafka stopped, webhooks are still answered 202
// (fsynced in the spool); the ingress is restarted while events wait; when Kafka is back, the new
// ingress drains the spool at start, in order, and readiness returns from degraded to ready. And an
// ingress told to stop during the outage (INGRESS_DRAIN_ON_EXIT_MS, as the Helm chart sets it for
// a pod scaled away) publishes its spool once Kafka is back, before it exits.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestKafka } from '../support/broker.js';
import { localDir } from '../../infra/local/paths.js';
import { topics } from '../../schemas/topics.js';
import { ownBrokerPorts } from '../support/global-setup.js';
import { startIngress } from '../support/ingress.js';
import { TopicReader } from '../support/topic-reader.js';
import { waitFor } from '../support/wait.js';
import { webhook } from '../fixtures/webhooks.js';
import { Spool } from '../../services/ingress/spool.js';

describe('ingress spool through a Kafka outage and an ingress restart', () => {
  it('answers 202 while Kafka is down and delivers every spooled event, in order, once it is back', async () => {
    const dataDir = join(localDir, 'test', 'kafka-spool');
    const ports = ownBrokerPorts.ingressSpool;
    let broker = await startTestKafka({ dataDir, ...ports, fresh: true });
    const env = {
      INGRESS_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'spool-it-')),
      INGRESS_SPOOL_MAX_BYTES: '104857600',
      INGRESS_PUBLISH_TIMEOUT_MS: '1000',
    };
    const requestId = '424242';
    const body = (status: string) => JSON.stringify(webhook({ requestId, status, description: `<p>${status}</p>` }));
    let ingress = await startIngress(broker.brokers, env);
    try {
      await waitFor('ready', async () => (await ingress.get('/readyz')).status === 200);
      expect((await ingress.post(body('NEW'))).status).toBe(202);

      await broker.stop();
      const statuses = ['ASSIGNED', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'];
      for (const status of statuses) {
        const started = Date.now();
        expect((await ingress.post(body(status))).status).toBe(202);
        expect(Date.now() - started).toBeLessThan(3000);
      }
      await waitFor('degraded', async () => (await ingress.get('/readyz')).json?.status === 'degraded', 10_000);

      // The ingress goes away with four events spooled; Kafka comes back; a new ingress starts.
      await ingress.close();
      broker = await startTestKafka({ dataDir, ...ports });
      ingress = await startIngress(broker.brokers, env);

      const reader = await TopicReader.start(broker.brokers, topics.requestEvents.name);
      try {
        // At least once, in order: an event can arrive twice (the first ingress's client may still
        // deliver what it was retrying when it was closed; a real restart ends that process), always
        // with the same eventId, which the views count once. Compare the first arrival of each.
        const firstArrivals = await waitFor(
          'all five events',
          () => {
            const seen = new Map<string, string>();
            for (const m of reader.messages.filter((x) => x.key === requestId)) {
              const envelope = JSON.parse(m.value);
              if (!seen.has(envelope.eventId)) seen.set(envelope.eventId, envelope.payload.request.status);
            }
            return seen.size >= 5 ? [...seen.values()] : undefined;
          },
          60_000,
        );
        expect(firstArrivals).toEqual(['NEW', ...statuses]);
      } finally {
        await reader.stop();
      }
      await waitFor('ready again', async () => (await ingress.get('/readyz')).json?.status === 'ready', 30_000);
    } finally {
      await ingress.close();
      await broker.stop();
    }
  });

  it('publishes its spool before it exits when told to stop, Kafka coming back meanwhile', async () => {
    const dataDir = join(localDir, 'test', 'kafka-spool');
    const ports = ownBrokerPorts.ingressSpool;
    let broker = await startTestKafka({ dataDir, ...ports, fresh: true });
    const spoolDir = mkdtempSync(join(tmpdir(), 'spool-exit-'));
    const env = {
      INGRESS_SPOOL_DIR: spoolDir,
      INGRESS_SPOOL_MAX_BYTES: '104857600',
      INGRESS_PUBLISH_TIMEOUT_MS: '1000',
      INGRESS_DRAIN_ON_EXIT_MS: '60000',
    };
    const requestId = '434343';
    const statuses = ['NEW', 'ASSIGNED', 'IN_PROGRESS'];
    const ingress = await startIngress(broker.brokers, env);
    try {
      await waitFor('ready', async () => (await ingress.get('/readyz')).status === 200);
      await broker.stop();
      for (const status of statuses)
        expect((await ingress.post(JSON.stringify(webhook({ requestId, status })))).status).toBe(202);
      expect(readdirSync(spoolDir).length).toBeGreaterThan(0);

      // Told to stop with three events spooled and Kafka away: it waits, and Kafka comes back.
      const closing = ingress.close();
      broker = await startTestKafka({ dataDir, ...ports });
      await closing;
      // Nothing left for a next start on this disk: the spool is empty.
      const left = Spool.open(spoolDir, 104857600);
      expect(left.depth).toBe(0);
      left.close();

      const reader = await TopicReader.start(broker.brokers, topics.requestEvents.name);
      try {
        const arrived = await waitFor(
          'the three spooled events',
          () => {
            const seen = new Set(
              reader.messages.filter((m) => m.key === requestId).map((m) => JSON.parse(m.value).payload.request.status),
            );
            return seen.size >= 3 ? [...seen] : undefined;
          },
          30_000,
        );
        expect(arrived).toEqual(statuses);
      } finally {
        await reader.stop();
      }
    } finally {
      await broker.stop();
    }
  });
});
