// A consumer service started with PSEUDONYMIZATION_KEY writes names and e-mail addresses as keyed
// hashes: the lake holds none of the seed sample's, and the hashes are the documented ones.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { localDir } from '../../infra/local/paths.js';
import { startProcess, type ManagedProcess } from '../../infra/local/process.js';
import { topics } from '../../schemas/topics.js';
import { pseudonymizer } from '../../services/consumers/privacy.js';
import { openLake } from '../../services/lake/duckdb.js';
import { createKafka, createProducer, ensureTopics } from '../../services/shared/kafka.js';
import { envelopeMessage } from '../fixtures/envelopes.js';
import { seed } from '../fixtures/webhooks.js';
import { quietLogger } from '../support/lake.js';
import { waitFor } from '../support/wait.js';
import { serviceArgs } from '../support/build.js';

const key = 'integration-test-key-0123456789abcdef';
let consumer: ManagedProcess | undefined;
afterAll(async () => {
  await consumer?.stop();
});

describe('pseudonymisation (opt-in)', () => {
  it('leaves no name or e-mail address of the sample in the lake', async () => {
    const brokers = inject('kafkaBrokers');
    const kafka = createKafka({ clientId: 'pseudo-test', brokers, logger: quietLogger });
    await ensureTopics(kafka, Object.values(topics));
    const requestId = String(Date.now());
    const producer = createProducer(kafka);
    await producer.connect();
    const message = envelopeMessage({ ...seed, request: { ...seed.request, requestId } });
    await producer.send({
      topic: topics.requestEvents.name,
      acks: -1,
      messages: [{ key: requestId, value: message.value }],
    });
    await producer.disconnect();

    const lakeDir = mkdtempSync(join(tmpdir(), 'pseudo-lake-'));
    consumer = startProcess({
      name: 'request-events consumer (pseudonymising)',
      command: process.execPath,
      args: [...serviceArgs('consumers/main.ts'), 'request-events'],
      env: {
        KAFKA_BROKERS: brokers.join(','),
        LAKE_DIR: lakeDir,
        HOST: '127.0.0.1',
        METRICS_PORT: '0',
        LAKE_FILE_MAX_AGE_SECONDS: '1',
        PSEUDONYMIZATION_KEY: key,
        LOG_LEVEL: 'warn',
      },
      logFile: join(localDir, 'test', 'pseudonymisation-consumer.log'),
    });
    const row = await waitFor(
      'the event in the lake',
      async () => {
        const lake = await openLake(lakeDir);
        const rows = (
          await lake.runAndReadAll(
            `SELECT customer_name, payload_json FROM request_events WHERE request_id = '${requestId}'`,
          )
        ).getRowObjectsJS();
        return rows[0];
      },
      60_000,
      500,
    );
    expect(row.customer_name).toBe(pseudonymizer(key).value('Lorem Customer Ipsum'));
    expect(String(row.payload_json)).not.toContain('@example.com');
    expect(String(row.payload_json)).not.toContain('lorem.ipsum_customer');
    expect(JSON.parse(String(row.payload_json)).assignedTo.email).toBe(
      pseudonymizer(key).value('assigned.to@example.com'),
    );
  });
});
