// Decorates the app with `publisher` (micro-batching onto the transport) and `readiness`, and
// closes both in order when the app closes: in-flight batches first, then the client.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Publisher } from '../publisher.js';
import type { Readiness, Transport } from '../transport.js';
import type { IngressMetrics } from '../metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    publisher: Publisher;
    readiness: () => Readiness;
  }
}

export interface PublisherPluginOptions {
  transport: Transport;
  timeoutMs: number;
  metrics: IngressMetrics;
}

export default fp<PublisherPluginOptions>(
  async (app: FastifyInstance, { transport, timeoutMs, metrics }) => {
    const publisher = new Publisher((messages) => transport.send(messages), {
      timeoutMs,
      // Within Kafka's default request size (1 MiB per partition batch is the broker's sweet spot).
      maxBatchMessages: 500,
      maxBatchBytes: 1024 * 1024,
      // Enough for a burst; while Kafka is away, requests past it get 503 at once.
      maxQueuedBytes: 64 * 1024 * 1024,
      onBatch: (count, seconds, ok) => {
        metrics.batchMessages.observe(count);
        metrics.publishSeconds.observe({ result: ok ? 'ok' : 'error' }, seconds);
      },
    });
    app.decorate('publisher', publisher);
    app.decorate('readiness', () => {
      const state = transport.readiness();
      metrics.kafkaReady.set(state.ready ? 1 : 0);
      return state;
    });
    app.addHook('onClose', async () => {
      await publisher.drain();
      await transport.close();
    });
  },
  { name: 'publisher' },
);
