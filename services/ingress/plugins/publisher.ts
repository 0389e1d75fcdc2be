// Decorates the app with `delivery` (the micro-batching publishers, one per producer of the
// transport, with the spool behind them) and `readiness`, and closes them in order when the app
// closes: in-flight batches first, then the drainer, then the client.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { LanePublisher } from '../lanes.js';
import type { Transport } from '../transport.js';
import type { IngressMetrics } from '../metrics.js';
import { Delivery, type DeliveryReadiness } from '../delivery.js';
import { Spool } from '../spool.js';

declare module 'fastify' {
  interface FastifyInstance {
    delivery: Delivery;
    readiness: () => DeliveryReadiness;
  }
}

export interface PublisherPluginOptions {
  transport: Transport;
  timeoutMs: number;
  /** How long a closing app publishes its spool before it stops (INGRESS_DRAIN_ON_EXIT_MS). */
  drainOnExitMs?: number;
  metrics: IngressMetrics;
  /** Where and how much to spool; no spool when maxBytes is 0. */
  spool: { dir: string; maxBytes: number };
}

export default fp<PublisherPluginOptions>(
  async (app: FastifyInstance, { transport, timeoutMs, drainOnExitMs, metrics, spool: spoolOptions }) => {
    const publisher = new LanePublisher(transport, {
      timeoutMs,
      // Within Kafka's default request size (1 MiB per partition batch is the broker's sweet spot).
      maxBatchMessages: 500,
      maxBatchBytes: 1024 * 1024,
      // Enough for a burst; while Kafka is away, requests past it get 503 at once. A total: the
      // producers' queues share it.
      maxQueuedBytes: 64 * 1024 * 1024,
      onBatch: (count, seconds, ok) => {
        metrics.batchMessages.observe(count);
        metrics.publishSeconds.observe({ result: ok ? 'ok' : 'error' }, seconds);
      },
    });
    const spool = spoolOptions.maxBytes > 0 ? Spool.open(spoolOptions.dir, spoolOptions.maxBytes) : undefined;
    if (spool) metrics.observeSpool(spool);
    const delivery = new Delivery(publisher, transport, spool, app.log);
    delivery.startDraining();
    app.decorate('delivery', delivery);
    app.decorate('readiness', () => {
      metrics.kafkaReady.set(transport.readiness().ready ? 1 : 0);
      return delivery.readiness();
    });
    app.addHook('onClose', async () => {
      await publisher.drain();
      await delivery.stop(timeoutMs, drainOnExitMs);
      await transport.close();
    });
  },
  { name: 'publisher' },
);
