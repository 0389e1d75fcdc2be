// Whether the pipeline's consumers have caught up with Kafka: every consumer group of a table's
// service that has members has committed up to the end of the topic it reads. A consumer commits
// only what its sink has made durable, so from that moment both sinks hold everything Kafka held
// when it was asked: the fault tests' closing check reads the sinks then, instead of reading them
// again and again until they are whole (the emulator's queries are its costliest calls).
import type { Admin } from 'kafkajs';
import { catalogue } from '../../tables/catalogue.js';
import { createKafka } from '../../services/shared/kafka.js';
import { quietLogger } from './lake.js';

/** `thena-lake.<service>.<sink>[.g<generation>]` (groupIdFor): the service's group for one sink. */
const tableGroup = /^thena-lake\.([a-z-]+)\.(?:parquet|bigquery)(?:\.g\d+)?$/;

const topicOfService = new Map(catalogue.map((t) => [t.consumer.service, t.consumer.topic]));

/** The groups with members that are behind the end of their topic, with how far; empty when caught up. */
async function behind(admin: Admin): Promise<string[]> {
  const { groups } = await admin.listGroups();
  const ids = groups.map((g) => g.groupId).filter((id) => tableGroup.test(id));
  if (ids.length === 0) return ['no consumer group yet'];
  const described = (await admin.describeGroups(ids)).groups.filter((g) => g.members.length > 0);
  const out: string[] = [];
  for (const group of described) {
    const topic = topicOfService.get(tableGroup.exec(group.groupId)![1]!);
    if (!topic) continue;
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId: group.groupId, topics: [topic] }),
    ]);
    // A partition the group never committed on answers -1: behind unless the partition is empty.
    const at = new Map(committed!.partitions.map((p) => [p.partition, Math.max(0, Number(p.offset))]));
    const lag = ends.reduce((n, e) => n + Number(e.high) - (at.get(e.partition) ?? 0), 0);
    if (lag > 0) out.push(`${group.groupId} ${lag} behind`);
  }
  return out;
}

/**
 * Waits until every table's consumer group with members has committed up to the end of its topic,
 * or `timeoutMs` has passed; answers what is still behind then (empty when caught up). It does not
 * fail on its own: the caller's check of the sinks says what is missing.
 */
export async function waitUntilCaughtUp(brokers: string[], timeoutMs: number): Promise<string[]> {
  const admin = createKafka({ clientId: 'caught-up', brokers, logger: quietLogger }).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lagging = await behind(admin).catch((err: Error) => [err.message]);
      if (lagging.length === 0 || Date.now() > deadline) return lagging;
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
}
