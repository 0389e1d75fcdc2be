// A consumer's readiness follows what it can do now: ready once it has joined its group, not ready
// while its broker is gone, ready again when the broker is back, and not ready once it stops.
// While the broker is away, kafkajs restarts its consumer after a failure it deems retriable and
// gives it up after any other ("Failed to find group coordinator", more likely the longer the
// broker takes to come back); the runtime then reports the failure as fatal and the service exits
// so that its supervisor starts a fresh process. The test does what the supervisor would.
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
      let fatal: Error | undefined;
      const consume = () => fx.consume('request-events', { sessionTimeoutMs: 6_000, onFatal: (err) => (fatal = err) });
      let consumer = await consume();
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
      let replaced = false;
      await waitFor(
        'ready again once the broker is back',
        async () => {
          if (fatal && !replaced) {
            // Given up by kafkajs: the service would have exited; a fresh one becomes ready.
            expect(fatal.message).toMatch(/the Kafka consumer stopped/);
            expect(consumer.readiness().ready).toBe(false);
            replaced = true;
            await consumer.stop();
            consumer = await consume();
          }
          return consumer.readiness().ready;
        },
        120_000,
        250,
      );
      await consumer.stop();
      expect(consumer.readiness()).toEqual({ ready: false, reason: 'stopping' });
    } finally {
      await fx.close();
      await broker.stop();
    }
  });
});
