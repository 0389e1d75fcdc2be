// A consumer's dealings with its group's committed offsets: what a partition's commit carries (a
// sink's claim), the partition's end offset, and commits that refuse once the partition may be
// another member's. The coordinator checks a commit's generation, not who owns the partition, so
// the runtime's own count of generations is what keeps a member from committing for a partition
// it lost.
import type { Admin, Consumer } from 'kafkajs';
import type { Assignment } from '../../../schemas/sink.js';
import type { PartitionBuffer } from './partition-buffer.js';

/** kafkajs's errors for a commit in a generation the group has left (possibly wrapped by its retrier). */
const rebalanceErrorTypes = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);
export function isRebalanceError(err: unknown): boolean {
  let e = err as { type?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 10; depth++, e = e.cause as typeof e) {
    if (typeof e.type === 'string' && rebalanceErrorTypes.has(e.type)) return true;
  }
  return false;
}

/**
 * A Kafka failure that may pass: kafkajs marks its errors `retriable` (a lost connection, a
 * coordinator moving or loading), and wraps the last one in a non-retriable error when its own
 * retries run out. The one that matters for commits: the group's coordinator lost with its broker.
 * Commits go to it until the controller fences the broker (broker.session.timeout.ms, 9 s by
 * default) and after (the broker back, no longer the coordinator), since kafkajs looks for the new
 * one only when the member joins the group again: when its next heartbeat fails, between batches.
 */
export function isPassingKafkaError(err: unknown): boolean {
  let e = err as { name?: unknown; retriable?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 10; depth++, e = e.cause as typeof e) {
    if (e.retriable === true) return true;
    if (e.name !== 'KafkaJSNumberOfRetriesExceeded') return false;
  }
  return false;
}

export class GroupOffsets {
  constructor(
    private readonly o: {
      consumer: Consumer;
      admin: Admin;
      groupId: string;
      topic: string;
      /** The member's generation as the runtime counts it: it moves at JoinGroup's answer. */
      generation: () => number;
    },
  ) {}

  /** The metadata of the group's committed offset for a partition; undefined when none is committed. */
  async committedMetadata(partition: number): Promise<string | null | undefined> {
    const [topic] = await this.o.admin.fetchOffsets({ groupId: this.o.groupId, topics: [this.o.topic] });
    const found = topic?.partitions.find((p) => p.partition === partition);
    return found && Number(found.offset) >= 0 ? found.metadata : undefined;
  }

  /**
   * Commits `offset` with `metadata` for the buffer's partition, unless the generation moved since
   * `since` (then it throws, committing nothing); records what was committed in the buffer.
   */
  async commit(b: PartitionBuffer, offset: string, metadata: string | null, since: number): Promise<void> {
    if (since !== this.o.generation()) throw new Error('the group rebalanced during the write');
    await this.o.consumer.commitOffsets([{ topic: this.o.topic, partition: b.partition, offset, metadata }]);
    b.committed = { offset, metadata };
  }

  /** What the sink may learn about, and record with, a partition just assigned to this member. */
  assignment(b: PartitionBuffer, committedMetadata: string | null | undefined): Assignment {
    const { partition } = b;
    const assignedIn = this.o.generation();
    return {
      committedMetadata,
      endOffset: async () => {
        const offsets = await this.o.admin.fetchTopicOffsets(this.o.topic);
        const found = offsets.find((p) => p.partition === partition);
        if (!found) throw new Error(`Kafka reports no end offset for partition ${partition} of ${this.o.topic}`);
        return found.high;
      },
      claim: async (metadata) => {
        const offset = b.committed?.offset;
        if (offset === undefined) throw new Error(`partition ${partition} has no position to claim at`);
        await this.commit(b, offset, metadata, assignedIn);
        if (assignedIn !== this.o.generation()) throw new Error(`partition ${partition} was assigned again meanwhile`);
      },
    };
  }
}
