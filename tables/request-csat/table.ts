// request_csat: its columns and keys, the consumer service that fills it, and its views.
import { column, type TableDefinition } from '../../schemas/table.js';
import { topics } from '../../schemas/topics.js';
import { viewsIn } from '../views.js';
import { ratersIn } from '../thena/feedbacks.js';
import { eventColumns } from '../thena/request-event.js';
import { requestCsatFlattener } from './flatten.js';

export const requestCsat: TableDefinition = {
  name: 'request_csat',
  description: 'One row per CSAT entry (<p> of request.feedbacks) seen in an event.',
  factKey: ['workspace', 'request_id', 'rater', 'rating', 'comment'],
  version: 1,
  partitionColumn: 'event_time',
  clustering: ['request_id'],
  columns: [
    ...eventColumns,
    column('rater', 'STRING', 'NULLABLE', 'Who gave the rating, as Thena wrote it.', 'identity'),
    column('rating', 'INT64', 'NULLABLE', 'The rating; NULL when the entry cannot be read.'),
    column('comment', 'STRING', 'NULLABLE', 'The additional feedback, plain text, or NULL.', 'text'),
    column('feedback_html', 'STRING', 'REQUIRED', 'The entry as sent (HTML).', 'text'),
  ],
  consumer: {
    service: 'request-csat',
    topic: topics.requestEvents.name,
    flatten: requestCsatFlattener,
    metricsPort: 9104,
  },
  views: viewsIn(import.meta.dirname, ['csat']),
  factView: 'csat',
  // The rater is named inside the feedback HTML too.
  privacy: { namesInText: (row) => (typeof row.feedback_html === 'string' ? ratersIn(row.feedback_html) : []) },
};
