// Entry point of the ingress service: configuration, logger, metrics, Kafka, HTTP.
import { topics } from '../../schemas/topics.js';
import { loadConfig } from '../shared/config.js';
import { onShutdown, runService } from '../shared/lifecycle.js';
import { createLogger } from '../shared/logger.js';
import { kafkaConnection } from '../shared/kafka.js';
import { createRegistry } from '../shared/metrics.js';
import { buildApp } from './app.js';
import { ingressTopics, kafkaTransport } from './transport.js';

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
    connection: kafkaConnection(config),
    probeTopic: topics.requestEvents.name,
    topics: ingressTopics,
    producers: config.INGRESS_KAFKA_PRODUCERS,
    logger,
  });
  const app = await buildApp({ config, logger, registry, transport });

  // Stop accepting, finish in-flight batches (the publisher plugin's onClose), disconnect.
  onShutdown(logger, () => app.close());

  await app.listen({ port: config.PORT, host: config.HOST });
}

runService('ingress', main);
