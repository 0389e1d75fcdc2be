// Runs the ingress in-process against a real broker, listening on a free 127.0.0.1 port.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../services/ingress/app.js';
import { ingressTopics, kafkaTransport } from '../../services/ingress/transport.js';
import { parseConfig } from '../../services/shared/config.js';
import { createLogger } from '../../services/shared/logger.js';
import { createRegistry } from '../../services/shared/metrics.js';
import { createKafka, ensureTopics, kafkaConnection } from '../../services/shared/kafka.js';
import { topics } from '../../schemas/topics.js';

export interface RunningIngress {
  app: FastifyInstance;
  url: string;
  post(body: string, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; json: any }>;
  get(path: string): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

export const testToken = 'Bearer integration-token';
const logger = createLogger('ingress-test', { LOG_LEVEL: 'fatal' });

export async function startIngress(brokers: string[], env: Record<string, string> = {}): Promise<RunningIngress> {
  await ensureTopics(createKafka({ clientId: 'test-setup', brokers, logger }), Object.values(topics));
  // No spool unless the test gives one (INGRESS_SPOOL_MAX_BYTES and INGRESS_SPOOL_DIR).
  const config = parseConfig({
    KAFKA_BROKERS: brokers.join(','),
    INGRESS_AUTH_TOKENS: testToken,
    INGRESS_SPOOL_MAX_BYTES: '0',
    ...env,
  });
  const transport = kafkaTransport({
    connection: kafkaConnection(config),
    probeTopic: topics.requestEvents.name,
    topics: ingressTopics,
    producers: config.INGRESS_KAFKA_PRODUCERS,
    logger,
    probeIntervalMs: 500,
  });
  const app = await buildApp({ config, logger, registry: createRegistry('ingress'), transport });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    url: address,
    async post(body, headers = {}) {
      const res = await fetch(`${address}/webhooks/thena`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', authorization: testToken, ...headers },
      });
      return { status: res.status, headers: res.headers, json: await res.json() };
    },
    async get(path) {
      const res = await fetch(`${address}${path}`);
      return { status: res.status, json: await res.json().catch(() => undefined) };
    },
    close: () => app.close(),
  };
}
