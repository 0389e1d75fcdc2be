// request_activity: its columns and keys, the consumer service that fills it, and its views.
import { column, type TableDefinition } from '../../schemas/table.js';
import { topics } from '../../schemas/topics.js';
import { viewsIn } from '../views.js';
import { eventColumns } from '../thena/request-event.js';
import { requestActivityFlattener } from './flatten.js';

export const requestActivity: TableDefinition = {
  name: 'request_activity',
  description: 'One row per activity item seen in an event (payloads are cumulative: see the activity view).',
  factKey: ['workspace', 'request_id', 'activity_id', 'activity_ts_raw'],
  version: 1,
  partitionColumn: 'event_time',
  clustering: ['request_id'],
  columns: [
    ...eventColumns,
    column('activity_index', 'INT64', 'REQUIRED', 'Position of the item in the event’s activity array.'),
    column('activity_id', 'STRING', 'NULLABLE', 'activity[].id'),
    column('activity_ts', 'TIMESTAMP', 'NULLABLE', 'activity[].ts as a timestamp (microseconds).'),
    column('activity_ts_raw', 'STRING', 'NULLABLE', 'activity[].ts as sent (Slack timestamp text).'),
    column('user_id', 'STRING', 'NULLABLE', 'activity[].user.id'),
    column('user_name', 'STRING', 'NULLABLE', 'activity[].user.name', 'identity'),
    column('text_html', 'STRING', 'NULLABLE', 'activity[].text as sent (HTML).', 'text'),
    column('text_plain', 'STRING', 'NULLABLE', 'activity[].text as plain text.', 'text'),
  ],
  consumer: {
    service: 'request-activity',
    topic: topics.requestEvents.name,
    flatten: requestActivityFlattener,
    metricsPort: 9102,
  },
  views: viewsIn(import.meta.dirname, ['activity']),
  factView: 'activity',
};
