// rejected_events: its columns and keys, the consumer service that fills it, and its views.
import { column, workspaceColumn, type TableDefinition, truncatedColumnsColumn } from '../../schemas/table.js';
import { topics } from '../../schemas/topics.js';
import { viewsIn } from '../views.js';
import { rejectedEventsFlattener } from './flatten.js';

export const rejectedEvents: TableDefinition = {
  name: 'rejected_events',
  description: 'One row per dead-letter record: bodies the ingress rejected and messages a consumer could not process.',
  factKey: ['dlq_partition', 'dlq_offset'],
  version: 1,
  partitionColumn: 'received_at',
  clustering: ['reason'],
  columns: [
    workspaceColumn,
    column('received_at', 'TIMESTAMP', 'REQUIRED', 'When the body was rejected or the message failed.'),
    column('source', 'STRING', 'REQUIRED', "'ingress' or the consumer service that failed."),
    column('reason', 'STRING', 'REQUIRED', 'Why, as a short code.'),
    column('details_json', 'STRING', 'NULLABLE', 'The problems found ([{path, message}] as JSON).'),
    column('raw_body', 'STRING', 'NULLABLE', 'The body as received.', 'payload'),
    column('origin_topic', 'STRING', 'NULLABLE', 'For consumer failures: the source topic.'),
    column('origin_partition', 'INT64', 'NULLABLE', 'For consumer failures: the source partition.'),
    column('origin_offset', 'STRING', 'NULLABLE', 'For consumer failures: the source offset.'),
    column('dlq_partition', 'INT64', 'REQUIRED', 'Partition of the dead-letter record.'),
    column('dlq_offset', 'STRING', 'REQUIRED', 'Offset of the dead-letter record.'),
    truncatedColumnsColumn,
  ],
  consumer: {
    service: 'rejected-events',
    topic: topics.deadLetter.name,
    flatten: rejectedEventsFlattener,
    metricsPort: 9105,
  },
  views: viewsIn(import.meta.dirname, ['rejections']),
  factView: 'rejections',
};
