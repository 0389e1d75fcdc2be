// The control topic (schemas/control.ts): the pipeline's own small state, the latest record per
// key. Read whole at start, then followed.
import type { Kafka } from 'kafkajs';
import type { ControlRecord } from '../../schemas/control.js';
import { topics } from '../../schemas/topics.js';
import { createProducer } from './kafka.js';
import { readTopic } from './read-topic.js';

export interface ControlFollower {
  /** The latest record of each key read so far. */
  readonly state: ReadonlyMap<string, ControlRecord>;
  stop(): Promise<void>;
}

/**
 * Reads the control topic from its start and goes on following it, calling `onRecord` for each
 * record in order. Resolves once everything written before the call has been read.
 */
export async function followControl(
  kafka: Kafka,
  onRecord: (key: string, record: ControlRecord) => void | Promise<void>,
  opts: { follow?: boolean } = { follow: true },
): Promise<ControlFollower> {
  const state = new Map<string, ControlRecord>();
  const reading = await readTopic(
    kafka,
    topics.control.name,
    async ({ key, value }) => {
      if (!key || !value) return;
      const record = JSON.parse(value) as ControlRecord;
      state.set(key, record);
      await onRecord(key, record);
    },
    opts,
  );
  return { state, stop: () => reading.stop() };
}

/** The latest record of each key, read once. */
export async function readControl(kafka: Kafka): Promise<ReadonlyMap<string, ControlRecord>> {
  return (await followControl(kafka, () => undefined, { follow: false })).state;
}

export interface ControlWriter {
  publish(key: string, record: ControlRecord): Promise<void>;
  close(): Promise<void>;
}

/** Writes control records, each acknowledged by all in-sync replicas before the promise resolves. */
export async function controlWriter(kafka: Kafka): Promise<ControlWriter> {
  const producer = createProducer(kafka);
  await producer.connect();
  return {
    publish: async (key, record) =>
      void (await producer.send({
        topic: topics.control.name,
        acks: -1,
        messages: [{ key, value: JSON.stringify(record) }],
      })),
    close: () => producer.disconnect(),
  };
}
