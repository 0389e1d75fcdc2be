// `node dist/services/admin/create-topics.js`: creates the pipeline's topics (schemas/topics.ts)
// that do not exist yet, then exits. The compose file runs it once before the services start.
import { topics } from '../../schemas/topics.js';
import { loadConfig } from '../shared/config.js';
import { commandKafka, ensureTopics, kafkaConnection } from '../shared/kafka.js';
import { runService } from '../shared/lifecycle.js';
import { createLogger } from '../shared/logger.js';

runService('create-topics', async () => {
  const config = loadConfig();
  const logger = createLogger('create-topics', config);
  const { created, altered, warnings } = await ensureTopics(
    await commandKafka({ clientId: 'thena-create-topics', ...kafkaConnection(config), logger }),
    Object.values(topics),
  );
  for (const warning of warnings) logger.warn(warning);
  logger.info({ created, altered, existing: Object.values(topics).length - created.length }, 'topics ready');
});
