// request_events: its columns and keys, the consumer service that fills it, and its views.
import { column, type TableDefinition } from '../../schemas/table.js';
import { topics } from '../../schemas/topics.js';
import { viewsIn } from '../views.js';
import { eventColumns } from '../thena/request-event.js';
import { requestEventsFlattener } from './flatten.js';
import { payloadDriftColumn } from '../drift/rules.js';

export const requestEvents: TableDefinition = {
  name: 'request_events',
  description: 'One row per accepted webhook: the history of each request.',
  factKey: ['workspace', 'event_id'],
  version: 1,
  partitionColumn: 'event_time',
  clustering: ['request_id', 'team_id'],
  columns: [
    ...eventColumns,
    column('action', 'STRING', 'REQUIRED', 'CREATE, UPDATE, or another value Thena sent (escalation).'),
    column('received_at', 'TIMESTAMP', 'REQUIRED', 'When the ingress accepted the webhook.'),
    column('created_at', 'TIMESTAMP', 'NULLABLE', 'request.createdAt'),
    column('updated_at', 'TIMESTAMP', 'NULLABLE', 'request.updatedAt'),
    column('closed_on', 'TIMESTAMP', 'NULLABLE', 'request.closed_on'),
    column('status', 'STRING', 'NULLABLE', 'request.status'),
    column('team_id', 'STRING', 'NULLABLE', 'request.team_id'),
    column('team_name', 'STRING', 'NULLABLE', 'request.team_name'),
    column('channel_id', 'STRING', 'NULLABLE', 'request.channelId'),
    column('channel_name', 'STRING', 'NULLABLE', 'request.channelName'),
    column('customer_name', 'STRING', 'NULLABLE', 'request.customer_name', 'identity'),
    column('requestor_id', 'STRING', 'NULLABLE', 'request.requestor.id'),
    column('assigned_to_id', 'STRING', 'NULLABLE', 'request.assignedTo.id'),
    column('assigned_by_id', 'STRING', 'NULLABLE', 'request.assignedBy.id'),
    column('closed_by_id', 'STRING', 'NULLABLE', 'request.closed_by.id'),
    column(
      'reply_count',
      'INT64',
      'NULLABLE',
      'request.replyCount; NULL when it cannot be read as an integer without loss.',
    ),
    column('ai_title', 'STRING', 'NULLABLE', 'request.AI_requestTitle', 'text'),
    column('ai_summary', 'STRING', 'NULLABLE', 'request.AI_requestSummary', 'text'),
    column('ai_sentiment', 'STRING', 'NULLABLE', 'request.AI_requestSentiment'),
    column('ai_urgency', 'STRING', 'NULLABLE', 'request.AI_requestUrgency'),
    column('ai_tags', 'STRING', 'REPEATED', 'request.AI_generatedTags'),
    column('is_internal_helpdesk', 'BOOL', 'NULLABLE', 'request.isInternalHelpdesk'),
    column('is_private_channel', 'BOOL', 'NULLABLE', 'request.isPrivateChannel'),
    column('description_html', 'STRING', 'NULLABLE', 'request.description as sent (HTML).', 'text'),
    column(
      'description_text',
      'STRING',
      'NULLABLE',
      'request.description as plain text: tags removed, entities decoded.',
      'text',
    ),
    column('request_ts', 'TIMESTAMP', 'NULLABLE', 'request.requestTs (Slack timestamp).'),
    column(
      'field_problems_json',
      'STRING',
      'NULLABLE',
      'Fields of the wrong type, as the ingress recorded them (JSON), or NULL.',
    ),
    column(
      'payload_json',
      'STRING',
      'REQUIRED',
      'The whole request object as JSON text, unknown fields included.',
      'payload',
    ),
    payloadDriftColumn,
  ],
  consumer: {
    service: 'request-events',
    topic: topics.requestEvents.name,
    flatten: requestEventsFlattener,
    metricsPort: 9101,
  },
  views: viewsIn(import.meta.dirname, ['request_history', 'request_latest']),
  factView: 'request_history',
};
