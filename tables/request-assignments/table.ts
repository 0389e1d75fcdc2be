// request_assignments: its columns and keys, the consumer service that fills it, and its views.
import { column, type TableDefinition } from '../../schemas/table.js';
import { topics } from '../../schemas/topics.js';
import { viewsIn } from '../views.js';
import { eventColumns } from '../thena/request-event.js';
import { requestAssignmentsFlattener } from './flatten.js';

export const requestAssignments: TableDefinition = {
  name: 'request_assignments',
  description: 'One row per event that names an assignee.',
  factKey: ['workspace', 'event_id'],
  version: 1,
  partitionColumn: 'event_time',
  clustering: ['request_id'],
  columns: [
    ...eventColumns,
    column('status', 'STRING', 'NULLABLE', 'request.status at that event.'),
    column('assigned_to_id', 'STRING', 'NULLABLE', 'request.assignedTo.id'),
    column('assigned_to_name', 'STRING', 'NULLABLE', 'request.assignedTo.name', 'identity'),
    column('assigned_by_id', 'STRING', 'NULLABLE', 'request.assignedBy.id'),
    column('assigned_by_name', 'STRING', 'NULLABLE', 'request.assignedBy.name', 'identity'),
  ],
  consumer: {
    service: 'request-assignments',
    topic: topics.requestEvents.name,
    flatten: requestAssignmentsFlattener,
    metricsPort: 9103,
  },
  views: viewsIn(import.meta.dirname, ['assignments']),
  factView: 'assignments',
};
