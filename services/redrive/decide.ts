// What a redrive does with one dead-letter record, decided with the code as it is now: a rejected
// body the ingress would now accept becomes an event; a message a consumer's flattener now reads
// goes back to its topic; a row BigQuery refused is offered again. A record that would fail again
// for the same reason is left where it is; one that fails differently goes back with its count
// raised. Pure: the caller acts on the decision.
import type { DeadLetterRecord } from '../../schemas/dead-letter.schema.js';
import type { Row } from '../../schemas/flattener.js';
import type { TableDefinition } from '../../schemas/table.js';
import { topics, type OutgoingMessage } from '../../schemas/topics.js';
import { tableOfService } from '../../tables/catalogue.js';
import { classify, eventMessage } from '../ingress/index.js';
import { DeadLetterHeaders, deadLetterMessage } from '../shared/dead-letter.js';

export type Decision =
  | { action: 'publish'; message: OutgoingMessage; what: string }
  | { action: 'insert'; table: TableDefinition; row: Row }
  | { action: 'dead-letter'; message: OutgoingMessage; reason: string }
  | { action: 'unchanged'; reason: string }
  | { action: 'skip'; why: string };

const sameDetails = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A record failing again differently: the same body, the new reasons, its count raised. */
function again(
  record: DeadLetterRecord,
  retryCount: number,
  reason: string,
  details: DeadLetterRecord['details'],
  topic: string = topics.deadLetter.name,
) {
  return deadLetterMessage({
    topic,
    source: record.source,
    reason,
    details,
    rawBody: record.rawBody,
    ...(record.origin ? { origin: record.origin } : {}),
    ...(record.workspace ? { workspace: record.workspace } : {}),
    retryCount: retryCount + 1,
  });
}

function rejectedBody(record: DeadLetterRecord, retryCount: number, receivedAt: Date, to: RedriveTopics): Decision {
  const result = classify(record.rawBody);
  if (result.kind === 'accepted') {
    return {
      action: 'publish',
      what: `event ${result.eventId}`,
      message: { topic: to.events, key: result.requestId, ...eventMessage(result, receivedAt, record.workspace) },
    };
  }
  if (result.reason === record.reason && sameDetails(result.details, record.details)) {
    return { action: 'unchanged', reason: result.reason };
  }
  return {
    action: 'dead-letter',
    reason: result.reason,
    message: again(record, retryCount, result.reason, result.details, to.deadLetter),
  };
}

function keyOf(value: string): string | null {
  try {
    const requestId = (JSON.parse(value) as { requestId?: unknown }).requestId;
    return typeof requestId === 'string' ? requestId : null;
  } catch {
    return null;
  }
}

function failedMessage(
  record: DeadLetterRecord,
  table: TableDefinition,
  retryCount: number,
  to: RedriveTopics,
): Decision {
  const origin = record.origin!;
  let result;
  try {
    result = table.consumer.flatten({ ...origin, value: record.rawBody });
  } catch (err) {
    return { action: 'unchanged', reason: `the flattener still throws: ${(err as Error).message}` };
  }
  if (result.kind === 'dead-letter') {
    if (result.reason === record.reason) return { action: 'unchanged', reason: result.reason };
    const details = [{ path: '/', message: result.message }];
    return {
      action: 'dead-letter',
      reason: result.reason,
      message: again(record, retryCount, result.reason, details, to.deadLetter),
    };
  }
  // A request event goes back under its request's key, so it keeps its partition and order.
  const key = keyOf(record.rawBody);
  return {
    action: 'publish',
    what: `message ${origin.topic}/${origin.partition}/${origin.offset} again`,
    message: {
      topic: origin.topic,
      key,
      value: record.rawBody,
      // Only the service (and sink) that failed reads it again; the topic's other consumers pass it by.
      headers: {
        [DeadLetterHeaders.retryCount]: String(retryCount + 1),
        [DeadLetterHeaders.redriveFor]: record.source,
      },
    },
  };
}

/** Timestamps travel in a dead letter as text of microseconds; the sinks take them as bigint. */
function revive(table: TableDefinition, row: Record<string, unknown>): Row {
  const out: Row = { ...row };
  for (const c of table.columns) {
    const v = row[c.name];
    if (c.type === 'TIMESTAMP' && (typeof v === 'string' || typeof v === 'number')) out[c.name] = BigInt(v);
  }
  return out;
}

/** Where the decisions send messages: the pipeline's topics, or a test's own. */
export interface RedriveTopics {
  events: string;
  deadLetter: string;
}

export const pipelineTopics: RedriveTopics = { events: topics.requestEvents.name, deadLetter: topics.deadLetter.name };

export function decide(
  record: DeadLetterRecord,
  retryCount: number,
  receivedAt: Date,
  to: RedriveTopics = pipelineTopics,
): Decision {
  if (record.source === 'ingress') return rejectedBody(record, retryCount, receivedAt, to);
  const [service, sink] = record.source.split('/');
  const table = tableOfService(service ?? '');
  if (!table) return { action: 'skip', why: `no table has a consumer named ${service}` };
  // Records from before `failed` existed: a message when the source names no sink, a row otherwise.
  const failed = record.failed ?? (sink === undefined ? 'message' : 'row');
  if (failed === 'message') {
    if (!record.origin) return { action: 'skip', why: 'a consumer failure without its origin' };
    return failedMessage(record, table, retryCount, to);
  }
  if (sink === 'bigquery') {
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(record.rawBody) as Record<string, unknown>;
    } catch {
      return { action: 'skip', why: 'the refused row is not JSON' };
    }
    return { action: 'insert', table, row: revive(table, row) };
  }
  return { action: 'skip', why: `no redrive for rows the ${sink} sink refused` };
}
