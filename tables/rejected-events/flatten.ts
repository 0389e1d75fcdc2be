// rejected_events: one row per dead-letter record.
import { deadLetter, rows, type FlattenResult, type SourceMessage } from '../../schemas/flattener.js';
import { defaultWorkspace } from '../../schemas/workspace.js';
import { nothingTruncated } from '../../schemas/table.js';
import { asObject, int, isoMicros, text } from '../thena/convert.js';

export function rejectedEventsFlattener(message: SourceMessage): FlattenResult {
  let record: Record<string, unknown> | null;
  try {
    record = asObject(JSON.parse(message.value));
  } catch (err) {
    return deadLetter('invalid_dead_letter', `the dead-letter record is not JSON: ${(err as Error).message}`);
  }
  const receivedAt = isoMicros(record?.receivedAt);
  if (!record || receivedAt === null) {
    return deadLetter('invalid_dead_letter', 'the dead-letter record lacks receivedAt');
  }
  const origin = asObject(record.origin);
  return rows([
    {
      workspace: text(record.workspace) ?? defaultWorkspace,
      received_at: receivedAt,
      source: text(record.source) ?? 'unknown',
      reason: text(record.reason) ?? 'unknown',
      details_json: record.details === undefined ? null : JSON.stringify(record.details),
      raw_body: text(record.rawBody),
      origin_topic: text(origin?.topic),
      origin_partition: int(origin?.partition),
      origin_offset: text(origin?.offset),
      dlq_partition: message.partition,
      dlq_offset: message.offset,
      truncated_columns: nothingTruncated,
    },
  ]);
}
