// The consumer's one way to the dead-letter topic: messages it could not process (a flattener's
// verdict, a flattener that throws, a write narrowed down to one message) and rows a sink's store
// refused. Each record names the service and sink that failed (`service/sink`), so that a redrive
// re-feeds only that table's sink, and where the message came from. A publish that fails throws:
// the caller must not move the partition past a message whose record was not acknowledged.
import type { OutgoingMessage } from '../../../schemas/topics.js';
import type { RefusedRow } from '../../../schemas/sink.js';
import { deadLetterMessage } from '../../shared/dead-letter.js';
import type { Logger } from '../../shared/logger.js';
import type { ConsumerMetrics } from './metrics.js';
import type { Batch, HeldMessage } from './partition-buffer.js';

/** Whether a message a redrive sent back (its header: `service` or `service/sink`) is for this consumer. */
export function redrivenFor(header: string | undefined, service: string, sink: string): boolean {
  if (header === undefined) return true;
  const [forService, forSink] = header.split('/');
  return forService === service && (forSink === undefined || forSink === sink);
}

const bigintAsText = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

export interface DeadLettersOptions {
  publish: (message: OutgoingMessage) => Promise<void>;
  /** The dead-letter topic. */
  topic: string;
  /** Where the messages come from. */
  origin: string;
  service: string;
  sink: string;
  metrics: ConsumerMetrics;
  logger: Logger;
}

/**
 * Why a message is dead-lettered: the flattener said so (`verdict`), or processing it failed for a
 * reason retrying cannot fix (`poison`: a flattener that throws, a write that fails alone), which
 * is also counted as a poison message and alerted on.
 */
export type Failure = { kind: 'verdict' | 'poison'; stage: 'flatten' | 'write'; reason: string; message: string };

export class DeadLetters {
  private readonly source: string;

  constructor(private readonly o: DeadLettersOptions) {
    this.source = `${o.service}/${o.sink}`;
  }

  /** Sends a message the consumer could not process, whole; resolves once acknowledged. */
  async message(partition: number, held: Pick<HeldMessage, 'offset' | 'value' | 'retryCount'>, f: Failure) {
    const origin = { topic: this.o.origin, partition, offset: held.offset };
    await this.o.publish(
      deadLetterMessage({
        topic: this.o.topic,
        source: this.source,
        failed: 'message',
        reason: f.reason,
        message: f.message,
        rawBody: held.value?.toString() ?? '',
        origin,
        // A message a redrive sent again carries its count; failing again keeps it.
        retryCount: held.retryCount,
      }),
    );
    const labels = { sink: this.o.sink, reason: f.reason };
    this.o.metrics.deadLetters.inc(labels);
    if (f.kind === 'poison') {
      this.o.metrics.poison.inc({ sink: this.o.sink, stage: f.stage });
      this.o.logger.error(
        { origin, reason: f.reason, err: f.message },
        'a message could not be processed; sent to the dead-letter topic, the partition moves on',
      );
    } else this.o.logger.warn({ origin, reason: f.reason, err: f.message }, 'sent to the dead-letter topic');
  }

  /** Sends the rows a sink's store refused, one record each; resolves once all are acknowledged. */
  async refused(batch: Batch, rows: readonly RefusedRow[]): Promise<void> {
    for (const r of rows) {
      const origin = {
        topic: this.o.origin,
        partition: batch.partition,
        offset: `${batch.firstOffset}-${batch.lastOffset}`,
      };
      await this.o.publish(
        deadLetterMessage({
          topic: this.o.topic,
          source: this.source,
          failed: 'row',
          reason: `${this.o.sink}_${r.reason}`,
          message: r.message,
          rawBody: JSON.stringify(r.row, bigintAsText),
          origin,
        }),
      );
      this.o.metrics.deadLetters.inc({ sink: this.o.sink, reason: `${this.o.sink}_${r.reason}` });
      this.o.logger.warn(
        { origin, reason: r.reason, err: r.message },
        'a row the sink refused went to the dead-letter topic',
      );
    }
  }
}
