// Liveness, readiness and metrics.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export default async function healthRoutes(app: FastifyInstance, opts: { registry: Registry }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const state = app.readiness();
    if (!state.ready) return reply.code(503).send({ status: 'unavailable', reason: state.reason ?? 'not ready' });
    return state.degraded ? { status: 'degraded', reason: state.reason } : { status: 'ready' };
  });

  app.get('/metrics', async (_request, reply) => {
    app.readiness(); // refreshes the readiness gauge
    reply.header('content-type', opts.registry.contentType);
    return opts.registry.metrics();
  });
}
