// A consumer service's small HTTP side: /healthz, /readyz (joined its group) and /metrics.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export async function startConsumerHttp(opts: {
  host: string;
  port: number;
  registry: Registry;
  ready: () => boolean;
}): Promise<{ app: FastifyInstance; address: string }> {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) =>
    opts.ready()
      ? { status: 'ready' }
      : reply.code(503).send({ status: 'unavailable', reason: 'not yet assigned partitions' }),
  );
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', opts.registry.contentType);
    return opts.registry.metrics();
  });
  const address = await app.listen({ host: opts.host, port: opts.port });
  return { app, address };
}
