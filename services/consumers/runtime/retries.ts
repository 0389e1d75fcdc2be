// Sink writes (or their commits) that failed in a way that may pass (an outage, overload, the
// network, a group coordinator that moved): the batch goes back into its partition's buffer and
// the partition is paused until a backoff with jitter has passed, while the other partitions and
// sinks go on. Such failures are waited out for as long as they last and never dead-lettered: an
// outage is not the message's fault.
import type { Consumer } from 'kafkajs';
import { kafkaSettings } from '../../../schemas/config-kafka.schema.js';
import { backoffMs } from '../../shared/retry.js';
import type { Logger } from '../../shared/logger.js';
import type { ConsumerMetrics } from './metrics.js';
import type { Batch, PartitionBuffer } from './partition-buffer.js';

export class PartitionRetries {
  /** Partitions paused for a retry; kafkajs keeps a pause across rebalances. */
  private readonly paused = new Set<number>();

  constructor(
    private readonly o: {
      consumer: Consumer;
      topic: string;
      sinkLabel: { sink: string };
      /** The longest wait between two tries (CONSUMER_RETRY_MAX_MS); unset, that setting's default. */
      maxMs: number | undefined;
      metrics: ConsumerMetrics;
      logger: Logger;
    },
  ) {}

  /** Puts the batch back ahead of anything gathered since and pauses the partition until the backoff has passed. */
  later(b: PartitionBuffer, batch: Batch, err: unknown): void {
    b.restore(batch);
    b.attempts++;
    const maxMs = this.o.maxMs ?? kafkaSettings.CONSUMER_RETRY_MAX_MS.default;
    const wait = backoffMs(b.attempts, { initialMs: 500, maxMs });
    b.retryAt = Date.now() + wait;
    if (!this.paused.has(batch.partition)) {
      this.o.consumer.pause([{ topic: this.o.topic, partitions: [batch.partition] }]);
      this.paused.add(batch.partition);
    }
    this.o.metrics.retries.inc(this.o.sinkLabel);
    this.o.logger.warn(
      { err, partition: batch.partition, attempt: b.attempts, waitMs: wait },
      'the batch was not stored (its write or its commit failed); partition paused, retrying',
    );
  }

  /** After a write that succeeded: the partition fetches again if a retry had paused it. */
  succeeded(b: PartitionBuffer): void {
    if (b.attempts === 0) return;
    this.o.logger.info(
      { partition: b.partition, attempts: b.attempts },
      'sink write succeeded after retries; partition resumed',
    );
    b.attempts = 0;
    b.retryAt = 0;
    if (this.paused.delete(b.partition)) this.o.consumer.resume([{ topic: this.o.topic, partitions: [b.partition] }]);
  }

  /** After a rebalance every buffer starts afresh: nothing waits for a retry any more. */
  resumeAll(): void {
    if (this.paused.size === 0) return;
    this.o.consumer.resume([{ topic: this.o.topic, partitions: [...this.paused] }]);
    this.paused.clear();
  }
}
