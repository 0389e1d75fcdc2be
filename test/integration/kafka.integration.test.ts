// The foundation's promises about the real broker: keyed writes from an idempotent producer are
// read back exactly once, committed offsets are where a second consumer resumes, and topics are
// created explicitly with their declared settings.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ConfigResourceTypes, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { createKafka, createProducer, ensureTopics } from '../../services/shared/kafka.js';
import { createLogger } from '../../services/shared/logger.js';
import { uniqueName, waitFor } from '../support/wait.js';

// kafkajs logs transient broker states (coordinator loading) as errors; the assertions decide.
const logger = createLogger('test', { LOG_LEVEL: 'fatal' });
const open: { disconnect(): Promise<void> }[] = [];

function kafka(): Kafka {
  return createKafka({ clientId: 'foundation-test', brokers: inject('kafkaBrokers'), logger });
}
async function newTopic(partitions: number): Promise<string> {
  const name = uniqueName('test.topic');
  await ensureTopics(kafka(), [{ name, partitions, description: 'test', config: {} }]);
  return name;
}
async function connected<T extends Producer | Consumer>(client: T): Promise<T> {
  await client.connect();
  open.push(client);
  return client;
}

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.disconnect()));
});

describe('kafka (real broker)', () => {
  it('reads back exactly the 1,000 keyed messages an idempotent producer wrote concurrently', async () => {
    const topic = await newTopic(3);
    const producer = await connected(createProducer(kafka()));
    const ids = Array.from({ length: 1000 }, (_, i) => `msg-${i}`);
    await Promise.all(
      ids.map((id, i) => producer.send({ topic, acks: -1, messages: [{ key: `request-${i % 37}`, value: id }] })),
    );

    const seen: string[] = [];
    const keysByPartition = new Map<string, Set<number>>();
    const consumer = await connected(kafka().consumer({ groupId: uniqueName('group') }));
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.push(message.value!.toString());
        const key = message.key!.toString();
        keysByPartition.set(key, (keysByPartition.get(key) ?? new Set()).add(partition));
      },
    });
    await waitFor('1,000 messages', () => seen.length >= 1000);
    // Give a duplicate, were there one, the chance to arrive before asserting there is none.
    await new Promise((r) => setTimeout(r, 500));

    expect(seen).toHaveLength(1000);
    expect(new Set(seen)).toEqual(new Set(ids));
    // Same key, same partition: the basis of per-request ordering.
    for (const partitions of keysByPartition.values()) expect(partitions.size).toBe(1);
  });

  it('resumes a second consumer of the group from the offset the first one committed', async () => {
    const topic = await newTopic(1);
    const groupId = uniqueName('group');
    const producer = await connected(createProducer(kafka()));
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: `v${i}` })),
    });

    const first = await connected(kafka().consumer({ groupId }));
    await first.subscribe({ topic, fromBeginning: true });
    let committed = false;
    await first.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        if (message.value!.toString() === 'v4' && !committed) {
          // Processed v0..v4: the next to read is the one after v4.
          await first.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
          committed = true;
        }
      },
    });
    await waitFor('the first consumer to commit', () => committed);
    await first.disconnect();

    const second = await connected(kafka().consumer({ groupId }));
    await second.subscribe({ topic, fromBeginning: true });
    const resumed: string[] = [];
    await second.run({ eachMessage: async ({ message }) => void resumed.push(message.value!.toString()) });
    await waitFor('the second consumer to read the rest', () => resumed.length >= 5);
    await new Promise((r) => setTimeout(r, 500));
    expect(resumed).toEqual(['v5', 'v6', 'v7', 'v8', 'v9']);
  });

  it('creates declared topics with their partitions and settings, and brings an existing one up to date', async () => {
    const name = uniqueName('test.declared');
    const declaration = { name, partitions: 4, description: 'test', config: { 'retention.ms': '3600000' } };
    expect(await ensureTopics(kafka(), [declaration])).toEqual({ created: [name], altered: [], warnings: [] });
    expect(await ensureTopics(kafka(), [declaration])).toEqual({ created: [], altered: [], warnings: [] });
    // An operator's own setting on the topic survives a declared change of another.
    const operator = kafka().admin();
    await operator.connect();
    await operator.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name,
          configEntries: [
            { name: 'retention.ms', value: '3600000' },
            { name: 'segment.ms', value: '7200000' },
          ],
        },
      ],
    });
    await operator.disconnect();
    const kept = { ...declaration, config: { 'retention.ms': '-1' } };
    expect(await ensureTopics(kafka(), [kept])).toEqual({
      created: [],
      altered: [`${name}: retention.ms=-1`],
      warnings: [],
    });
    expect(await ensureTopics(kafka(), [kept])).toEqual({ created: [], altered: [], warnings: [] });

    const admin = kafka().admin();
    await admin.connect();
    try {
      const [metadata] = (await admin.fetchTopicMetadata({ topics: [name] })).topics;
      expect(metadata!.partitions).toHaveLength(4);
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms', 'segment.ms'] }],
      });
      const values = Object.fromEntries(configs.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
      expect(values).toEqual({ 'retention.ms': '-1', 'segment.ms': '7200000' });
    } finally {
      await admin.disconnect();
    }
  });
});
