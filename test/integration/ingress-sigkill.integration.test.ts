// Kafka stopped, the ingress process killed with SIGKILL while it spools under load, then both
// started again: every webhook that was answered 202 reaches Kafka (at least once, same eventId).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startKafka } from '../../infra/kafka/kafka.js';
import { localDir, repoRoot } from '../../infra/local/paths.js';
import { startProcess, type ManagedProcess } from '../../infra/local/process.js';
import { topics } from '../../schemas/topics.js';
import { createKafka, ensureTopics } from '../../services/shared/kafka.js';
import { testPorts } from '../support/global-setup.js';
import { quietLogger } from '../support/lake.js';
import { TopicReader } from '../support/topic-reader.js';
import { waitFor } from '../support/wait.js';
import { webhook } from '../fixtures/webhooks.js';

const port = 29330;
const token = 'Bearer sigkill-test-token';

describe('ingress killed while spooling', () => {
  it('delivers every acknowledged webhook after Kafka and the ingress come back', { timeout: 240_000 }, async () => {
    const dataDir = join(localDir, 'test', 'kafka-sigkill');
    const ports = { port: testPorts.outageKafka, controllerPort: testPorts.outageKafkaController };
    let broker = await startKafka({ dataDir, ...ports, fresh: true });
    await ensureTopics(
      createKafka({ clientId: 'sigkill-test', brokers: broker.brokers, logger: quietLogger }),
      Object.values(topics),
    );
    const spoolDir = mkdtempSync(join(tmpdir(), 'sigkill-spool-'));
    const start = (): ManagedProcess =>
      startProcess({
        name: 'ingress',
        command: process.execPath,
        args: ['--import', 'tsx', join(repoRoot, 'services/ingress/main.ts')],
        env: {
          PORT: String(port),
          HOST: '127.0.0.1',
          KAFKA_BROKERS: broker.brokers.join(','),
          INGRESS_AUTH_TOKENS: token,
          INGRESS_SPOOL_DIR: spoolDir,
          INGRESS_PUBLISH_TIMEOUT_MS: '1000',
          LOG_LEVEL: 'warn',
        },
        logFile: join(localDir, 'test', 'ingress-sigkill.log'),
      });
    const post = async (i: number) => {
      const res = await fetch(`http://127.0.0.1:${port}/webhooks/thena`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: token },
        body: JSON.stringify(webhook({ requestId: String(500000 + (i % 20)), description: `<p>${i}</p>` })),
      }).catch(() => undefined);
      return res?.status === 202 ? ((await res.json()) as { eventId: string }).eventId : undefined;
    };
    const ready = async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;

    let ingress = start();
    const acknowledged = new Set<string>();
    try {
      await waitFor('the ingress', ready, 60_000, 200);
      for (let i = 0; i < 20; i++) acknowledged.add((await post(i))!);

      await broker.stop();
      // Webhooks keep coming while Kafka is away; the kill lands in the middle of them.
      let i = 20;
      const load = (async () => {
        for (; i < 400; i++) {
          const id = await post(i);
          if (id) acknowledged.add(id);
        }
      })();
      await waitFor('some webhooks spooled', () => i > 120, 60_000, 50);
      await ingress.kill();
      await load;
      expect(acknowledged.size).toBeGreaterThan(100);

      broker = await startKafka({ dataDir, ...ports });
      ingress = start();
      await waitFor('the ingress back', ready, 60_000, 200);

      const reader = await TopicReader.start(broker.brokers, topics.requestEvents.name);
      try {
        await waitFor(
          'every acknowledged webhook on the topic',
          () => {
            const onTopic = new Set(reader.messages.map((m) => JSON.parse(m.value).eventId as string));
            return [...acknowledged].every((id) => onTopic.has(id));
          },
          90_000,
          500,
        );
      } finally {
        await reader.stop();
      }
    } finally {
      await ingress.stop();
      await broker.stop();
    }
  });
});
