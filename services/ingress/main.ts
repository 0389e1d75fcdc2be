// Entry point of the ingress service: configuration, logger, metrics, Kafka, HTTP; and a
// shutdown that runs once, in order: stop accepting, finish in-flight batches, disconnect.
import { topics } from '../../schemas/topics.js';
import { ConfigError, loadConfig } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { createRegistry } from '../shared/metrics.js';
import { buildApp } from './app.js';
import { kafkaTransport } from './transport.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('ingress', config);
  if (config.INGRESS_AUTH_TOKENS.length === 0) {
    logger.warn(
      'INGRESS_AUTH_TOKENS is empty: every webhook is accepted without checking its authorization header. ' +
        "Set it to the value configured in Thena's webhook settings.",
    );
  }
  const registry = createRegistry('ingress');
  const transport = kafkaTransport({
    brokers: config.KAFKA_BROKERS,
    probeTopic: topics.requestEvents.name,
    logger,
  });
  const app = await buildApp({ config, logger, registry, transport });

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: no new requests, finishing in-flight batches');
    const timer = setTimeout(() => {
      logger.error('shutdown took over 30 s; exiting');
      process.exit(1);
    }, 30_000).unref();
    await app.close();
    clearTimeout(timer);
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.PORT, host: config.HOST });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`ingress failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
