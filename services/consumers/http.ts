// A consumer service's small HTTP side: /healthz, /readyz (consuming: see RunningConsumer.readiness)
// and /metrics.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** Whether the service does its work now, and if not, why. */
export interface Readiness {
  ready: boolean;
  reason?: string;
}

export async function startConsumerHttp(opts: {
  host: string;
  port: number;
  registry: Registry;
  readiness: () => Readiness;
}): Promise<{ app: FastifyInstance; address: string }> {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const { ready, reason } = opts.readiness();
    return ready ? { status: 'ready' } : reply.code(503).send({ status: 'unavailable', reason });
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', opts.registry.contentType);
    return opts.registry.metrics();
  });
  const address = await app.listen({ host: opts.host, port: opts.port });
  return { app, address };
}
