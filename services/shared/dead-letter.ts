// Builds dead-letter records (schemas/dead-letter.schema.ts), for the ingress (bodies it rejected
// with 400) and the consumers (messages and rows they could not process).
import { DeadLetterHeaders, deadLetterSchemaId, type DeadLetterRecord } from '../../schemas/dead-letter.schema.js';
import type { OutgoingMessage } from '../../schemas/topics.js';
import { defaultWorkspace } from '../../schemas/workspace.js';

export { DeadLetterHeaders, type DeadLetterRecord };

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
    /** How many times the record has been sent through the normal path again (npm run redrive). */
    retryCount?: number;
    /** The workspace the body or message belongs to; omitted for 'default'. */
    workspace?: string;
    /** For a consumer's record: whether rawBody is the message it could not process or a refused row. */
    failed?: 'message' | 'row';
  } & ({ message: string } | { details: DeadLetterRecord['details'] }),
): OutgoingMessage & { key: null; headers: Record<string, string> } {
  const record: DeadLetterRecord = {
    schema: deadLetterSchemaId,
    source: opts.source,
    receivedAt: (opts.receivedAt ?? new Date()).toISOString(),
    reason: opts.reason,
    details: 'details' in opts ? opts.details : [{ path: '/', message: opts.message }],
    rawBody: opts.rawBody,
    ...(opts.failed ? { failed: opts.failed } : {}),
    ...(opts.workspace && opts.workspace !== defaultWorkspace ? { workspace: opts.workspace } : {}),
    ...(opts.origin ? { origin: opts.origin } : {}),
  };
  const headers: Record<string, string> = {
    [DeadLetterHeaders.source]: opts.source,
    [DeadLetterHeaders.reason]: opts.reason,
    [DeadLetterHeaders.retryCount]: String(opts.retryCount ?? 0),
  };
  if (opts.origin) {
    headers[DeadLetterHeaders.originTopic] = opts.origin.topic;
    headers[DeadLetterHeaders.originPartition] = String(opts.origin.partition);
    headers[DeadLetterHeaders.originOffset] = opts.origin.offset;
  }
  return { topic: opts.topic, key: null, value: JSON.stringify(record), headers };
}
