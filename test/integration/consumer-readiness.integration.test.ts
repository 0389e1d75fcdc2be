// A consumer's readiness follows what it can do now: ready once it has joined its group, not ready
// while its broker is gone, ready again when the broker is back, and not ready once it stops.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestKafka } from '../support/broker.js';
import { localDir } from '../../infra/local/paths.js';
import { ownBrokerPorts } from '../support/global-setup.js';
import { lakeFixture } from '../support/lake.js';
import { waitFor } from '../support/wait.js';

describe('consumer readiness', () => {
  it('turns false while the broker is away and after stop, true again when the broker is back', async () => {
    const options = {
      dataDir: join(localDir, 'test', 'kafka-readiness'),
      ...ownBrokerPorts.consumerReadiness,
    };
    let broker = await startTestKafka({ ...options, fresh: true });
    const fx = await lakeFixture(broker.brokers);
    try {
      const consumer = await fx.consume('request-events', { sessionTimeoutMs: 6_000 });
      await waitFor('ready after joining', () => consumer.readiness().ready, 60_000);

      await broker.stop();
      const away = await waitFor(
        'not ready while the broker is away',
        () => (consumer.readiness().ready ? undefined : consumer.readiness()),
        30_000,
        250,
      );
      expect(away.reason).toMatch(/no answer from Kafka|crashed|rebalancing|not yet assigned/);

      broker = await startTestKafka(options);
      await waitFor('ready again once the broker is back', () => consumer.readiness().ready, 120_000, 250);

      await consumer.stop();
      expect(consumer.readiness()).toEqual({ ready: false, reason: 'stopping' });
    } finally {
      await fx.close();
      await broker.stop();
    }
  });
});
