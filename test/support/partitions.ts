// What a cluster's partitions look like to a client, for the fault tests of a lost broker: who
// leads each, which replicas are in sync, and when a partition's high watermark moves (with
// acks=all, the moment a produce on it is acknowledged).
import { Kafka, logLevel } from 'kafkajs';

export interface PartitionState {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/**
 * A client that never retries on its own: each call fails fast while a broker is down, and the
 * caller's next poll starts afresh (a new client) with metadata from a broker that answers.
 */
async function withAdmin<T>(brokers: string[], use: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const kafka = new Kafka({
    clientId: 'partition-watch',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function partitionStates(brokers: string[], topics: string[]): Promise<PartitionState[]> {
  return withAdmin(brokers, async (admin) => {
    const metadata = await admin.fetchTopicMetadata({ topics });
    return metadata.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionId,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
      })),
    );
  });
}

/** Each partition's high watermark: the offset after the last acknowledged (fully replicated) record. */
export function highWatermarks(brokers: string[], topic: string): Promise<Map<number, number>> {
  return withAdmin(brokers, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  });
}

/**
 * Polls every 100 ms (a failed poll, a broker not yet answering for the partition, counts as no
 * move) until the partition's high watermark passes `from`; resolves with the time it did.
 */
export async function watermarkPasses(
  brokers: string[],
  topic: string,
  partition: number,
  from: number,
  timeoutMs = 120_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const high = await highWatermarks(brokers, topic).then(
      (m) => m.get(partition) ?? -1,
      () => -1,
    );
    if (high > from) return Date.now();
    if (Date.now() > deadline) throw new Error(`${topic}[${partition}] took no record within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
