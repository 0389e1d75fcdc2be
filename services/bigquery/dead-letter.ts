// Rows BigQuery refused, as dead-letter records: the row (as JSON text), BigQuery's reason and
// message, and the source partition and offset range of the batch it came in.
import { deadLetterMessage } from '../shared/dead-letter.js';
import type { SinkBatch } from '../consumers/runtime/sink.js';
import type { RejectedRow } from './sink.js';

type Publish = (m: ReturnType<typeof deadLetterMessage>) => Promise<void>;

const bigintAsText = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/** The `deadLetter` option of bigQuerySink for a service, publishing to `topic`. */
export function bigQueryDeadLetter(opts: {
  service: string;
  sourceTopic: string;
  topic: string;
  publish: Publish;
  onRow?: (reason: string) => void;
}) {
  return async (rejected: RejectedRow[], batch: SinkBatch): Promise<void> => {
    for (const r of rejected) {
      opts.onRow?.(r.reason);
      await opts.publish(
        deadLetterMessage({
          topic: opts.topic,
          source: `${opts.service}/bigquery`,
          reason: `bigquery_${r.reason}`,
          message: r.message,
          rawBody: JSON.stringify(r.row, bigintAsText),
          origin: {
            topic: opts.sourceTopic,
            partition: batch.partition,
            offset: `${batch.firstOffset}-${batch.lastOffset}`,
          },
        }),
      );
    }
  };
}
