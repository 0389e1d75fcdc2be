// The backfill's Kafka side: the publisher (the shared idempotent producer, acks=all, GZIP as the
// ingress sends) and the checkpoints on the compacted control topic. kafkajs retries an idempotent
// send for as long as the broker is away, so every call here has a deadline: a backfill against a
// broker that is gone stops with a message instead of hanging.
import type { Kafka } from 'kafkajs';
import type { OutgoingMessage } from '../../schemas/topics.js';
import { controlWriter, readControl } from '../shared/control.js';
import { createProducer, sendAcknowledged } from '../shared/kafka.js';
import type { CheckpointStore, Publisher } from './backfill.js';
import { BackfillError, checkpointKept } from './errors.js';

/** A send's bound: well under the topics' max.message.bytes per partition, and short to retry. */
const maxSendBytes = 4 * 1024 * 1024;

async function withDeadline<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new BackfillError(
            `${what}: no answer from Kafka within ${ms / 1000} s; is KAFKA_BROKERS up? ${checkpointKept}`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Splits messages into sends of at most `maxSendBytes` (at least one message each). */
export function sends(messages: OutgoingMessage[], maxBytes = maxSendBytes): OutgoingMessage[][] {
  const out: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = Buffer.byteLength(m.value) + (m.key?.length ?? 0);
    if (current.length > 0 && bytes + size > maxBytes) {
      out.push(current);
      [current, bytes] = [[], 0];
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Publishes through an idempotent producer; each send must be acknowledged within `deadlineMs`. */
export async function kafkaPublisher(
  kafka: Kafka,
  deadlineMs = 60_000,
): Promise<Publisher & { close(): Promise<void> }> {
  const producer = createProducer(kafka);
  await withDeadline('connecting the producer', deadlineMs, producer.connect());
  return {
    async publish(messages) {
      for (const batch of sends(messages)) {
        await withDeadline(`publishing ${batch.length} messages`, deadlineMs, sendAcknowledged(producer, batch));
      }
    },
    close: () => producer.disconnect(),
  };
}

/** Checkpoints on the control topic: read once at start, each put acknowledged by all replicas. */
export async function controlCheckpoints(
  kafka: Kafka,
  deadlineMs = 60_000,
): Promise<CheckpointStore & { close(): Promise<void> }> {
  const state = await withDeadline('reading the control topic', deadlineMs, readControl(kafka));
  const writer = await withDeadline('connecting to the control topic', deadlineMs, controlWriter(kafka));
  return {
    get: async (key) => {
      const record = state.get(key);
      return record?.kind === 'backfill' ? record : undefined;
    },
    put: (key, record) => withDeadline('writing the checkpoint', deadlineMs, writer.publish(key, record)),
    close: () => writer.close(),
  };
}
