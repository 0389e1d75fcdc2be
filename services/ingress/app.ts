// Builds the ingress app from plugins: the publisher (external client) first, then the routes.
// main.ts starts it; tests build it with an injected transport and call app.inject.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import { ingressMetrics } from './metrics.js';
import publisherPlugin from './plugins/publisher.js';
import healthRoutes from './routes/health.js';
import webhookRoutes from './routes/webhooks.js';
import type { Transport } from './transport.js';

export type IngressSettings = Pick<
  Config,
  | 'INGRESS_AUTH_TOKENS'
  | 'INGRESS_BODY_LIMIT_BYTES'
  | 'INGRESS_PUBLISH_TIMEOUT_MS'
  | 'INGRESS_SPOOL_DIR'
  | 'INGRESS_SPOOL_MAX_BYTES'
  | 'INGRESS_RATE_LIMIT_PER_MINUTE'
  | 'INGRESS_REQUEST_TIMEOUT_MS'
  | 'INGRESS_TRUSTED_PROXIES'
> &
  Partial<Pick<Config, 'INGRESS_DRAIN_ON_EXIT_MS'>>;

export async function buildApp(deps: {
  config: IngressSettings;
  logger: Logger;
  registry: Registry;
  transport: Transport;
}): Promise<FastifyInstance> {
  const { config, registry } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One log line per webhook, written by the route with its eventId, instead of two per request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.INGRESS_BODY_LIMIT_BYTES,
    // A body that never finishes arriving is cut off rather than held open.
    requestTimeout: config.INGRESS_REQUEST_TIMEOUT_MS,
    connectionTimeout: config.INGRESS_REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
    // request.ip (the rate limit's key) is the X-Forwarded-For client only behind a listed proxy.
    trustProxy: config.INGRESS_TRUSTED_PROXIES.length > 0 ? [...config.INGRESS_TRUSTED_PROXIES] : false,
  });
  const metrics = ingressMetrics(registry);

  await app.register(publisherPlugin, {
    transport: deps.transport,
    timeoutMs: config.INGRESS_PUBLISH_TIMEOUT_MS,
    drainOnExitMs: config.INGRESS_DRAIN_ON_EXIT_MS,
    metrics,
    spool: { dir: config.INGRESS_SPOOL_DIR, maxBytes: config.INGRESS_SPOOL_MAX_BYTES },
  });
  await app.register(healthRoutes, { registry });
  await app.register(webhookRoutes, {
    authTokens: config.INGRESS_AUTH_TOKENS,
    rateLimitPerMinute: config.INGRESS_RATE_LIMIT_PER_MINUTE,
    requestTimeoutMs: config.INGRESS_REQUEST_TIMEOUT_MS,
    bodyLimit: config.INGRESS_BODY_LIMIT_BYTES,
    metrics,
  });
  return app;
}
