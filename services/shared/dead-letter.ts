// Dead-letter records, shared by the ingress (bodies it rejected with 400) and the consumers
// (messages they could not process). The value is JSON; the headers let a tool route or count
// records without parsing them.
export const deadLetterSchema = 'thena.dead-letter.v1';

/** Kafka header names on every dead-letter record. */
export const DeadLetterHeaders = {
  source: 'x-dlq-source', // 'ingress' or the consumer service's name
  reason: 'x-dlq-reason',
  originTopic: 'x-dlq-origin-topic',
  originPartition: 'x-dlq-origin-partition',
  originOffset: 'x-dlq-origin-offset',
  retryCount: 'x-dlq-retry-count',
} as const;

export interface DeadLetterRecord {
  schema: typeof deadLetterSchema;
  source: string;
  receivedAt: string;
  reason: string;
  details: { path: string; message: string }[];
  /** The body exactly as it came (it may not be JSON). */
  rawBody: string;
  origin?: { topic: string; partition: number; offset: string };
}

/** A dead-letter record and its headers, ready to publish (key null: the topic is not keyed). */
export function deadLetterMessage(
  opts: {
    topic: string;
    source: string;
    reason: string;
    rawBody: string;
    /** When the body arrived or the message failed; now by default. */
    receivedAt?: Date;
    origin?: { topic: string; partition: number; offset: string };
  } & ({ message: string } | { details: DeadLetterRecord['details'] }),
): { topic: string; key: null; value: string; headers: Record<string, string> } {
  const record: DeadLetterRecord = {
    schema: deadLetterSchema,
    source: opts.source,
    receivedAt: (opts.receivedAt ?? new Date()).toISOString(),
    reason: opts.reason,
    details: 'details' in opts ? opts.details : [{ path: '/', message: opts.message }],
    rawBody: opts.rawBody,
    ...(opts.origin ? { origin: opts.origin } : {}),
  };
  const headers: Record<string, string> = {
    [DeadLetterHeaders.source]: opts.source,
    [DeadLetterHeaders.reason]: opts.reason,
    [DeadLetterHeaders.retryCount]: '0',
  };
  if (opts.origin) {
    headers[DeadLetterHeaders.originTopic] = opts.origin.topic;
    headers[DeadLetterHeaders.originPartition] = String(opts.origin.partition);
    headers[DeadLetterHeaders.originOffset] = opts.origin.offset;
  }
  return { topic: opts.topic, key: null, value: JSON.stringify(record), headers };
}
