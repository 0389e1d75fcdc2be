// ticket_events: its columns and keys, the consumer service that fills it, and its views.
import { column, type TableDefinition } from '../../schemas/table.js';
import { topics } from '../../schemas/topics.js';
import { viewsIn } from '../views.js';
import { payloadJsonColumn, platformColumns } from '../platform/event.js';
import { platformPrivacy } from '../platform/privacy.js';
import { ticketEventsFlattener } from './flatten.js';
import { payloadDriftColumn } from '../drift/rules.js';

const ticketField = (name: string, field: string, personal?: 'identity' | 'text') =>
  column(name, 'STRING', 'NULLABLE', `The ticket's ${field} (payload.ticket, or payload.previousTicket).`, personal);

export const ticketEvents: TableDefinition = {
  name: 'ticket_events',
  description:
    'One row per Thena platform event, of every type (unknown ones included): the history of each ticket, with the ticket as each event left it.',
  factKey: ['workspace', 'event_id'],
  version: 1,
  partitionColumn: 'event_time',
  clustering: ['workspace', 'ticket_id', 'event_type'],
  columns: [
    ...platformColumns,
    column('org_id', 'STRING', 'NULLABLE', "Thena's orgId."),
    column(
      'ticket_id',
      'STRING',
      'NULLABLE',
      'The ticket the event is about: payload.ticket.id, else payload.previousTicket.id, else a comment’s entityId (on a ticket); NULL when none. Never a ticketId, which Thena documents as the ticket number.',
    ),
    column('ticket_id_source', 'STRING', 'NULLABLE', 'Where ticket_id was read, e.g. payload.ticket.id.'),
    column('actor_id', 'STRING', 'NULLABLE', 'actor.id: who caused the event.'),
    column('actor_type', 'STRING', 'NULLABLE', 'actor.type (AGENT, CUSTOMER, …).'),
    column('actor_email', 'STRING', 'NULLABLE', 'actor.email', 'identity'),
    column('timestamp_raw', 'STRING', 'NULLABLE', "The event's timestamp as sent (ISO 8601 or Unix time)."),
    column('ticket_number', 'STRING', 'NULLABLE', "The ticket's human-readable number (ticket.ticketId)."),
    ticketField('title', 'title', 'text'),
    ticketField('description', 'description', 'text'),
    ticketField('status', 'status name (statusName, or status / status.name)'),
    ticketField('status_id', 'status id (statusId, or status.uid / status.id)'),
    ticketField('priority', 'priority name (priorityName, or priority / priority.name)'),
    ticketField('priority_id', 'priority id (priorityId, or priority.uid / priority.id)'),
    ticketField('sentiment', 'sentiment name (sentimentName, or sentiment / sentiment.name)'),
    ticketField('ticket_type', 'type (typeName, or type / type.name)'),
    ticketField('source', 'source (EMAIL, SLACK, …)'),
    ticketField('team_id', 'team id (teamId, or team.id)'),
    ticketField('team_name', 'team name (teamName, or team.name)'),
    ticketField('sub_team_id', 'sub-team id (subTeamId)'),
    ticketField('sub_team_name', 'sub-team name (subTeamName)'),
    ticketField('assignee_id', 'assignee id (assignedAgent.id, assignedAgentId or assignedTo)'),
    ticketField('assignee_email', 'assignee e-mail address (assignedAgent.email or assignedAgentEmail)', 'identity'),
    ticketField('assignee_name', 'assignee name (assignedAgent.name, or assignedAgent as a string)', 'identity'),
    column(
      'is_assigned',
      'BOOL',
      'NULLABLE',
      'TRUE when the event names an assignee, FALSE when it sends the assignee as null (unassigned), NULL when it does not say.',
    ),
    ticketField('customer_id', 'customer id (customer.id or customerId)'),
    ticketField('customer_email', 'customer e-mail address (customer.email or customerContactEmail)', 'identity'),
    column('is_escalated', 'BOOL', 'NULLABLE', "The ticket's isEscalated."),
    column(
      'is_archived',
      'BOOL',
      'NULLABLE',
      "TRUE for ticket:archived, FALSE for ticket:unarchived, else the ticket's isArchived.",
    ),
    column('tags', 'STRING', 'REPEATED', "The ticket's tags; NULL when the event does not carry them."),
    ticketField('ai_title', 'AI-generated title (aiGeneratedTitle)', 'text'),
    ticketField('ai_summary', 'AI-generated summary (aiGeneratedSummary)', 'text'),
    column('created_at', 'TIMESTAMP', 'NULLABLE', "The ticket's createdAt."),
    column('updated_at', 'TIMESTAMP', 'NULLABLE', "The ticket's updatedAt."),
    payloadJsonColumn,
    payloadDriftColumn,
  ],
  consumer: {
    service: 'ticket-events',
    topic: topics.platformEvents.name,
    flatten: ticketEventsFlattener,
    metricsPort: 9106,
  },
  views: viewsIn(import.meta.dirname, ['ticket_history', 'ticket_latest']),
  factView: 'ticket_history',
  privacy: platformPrivacy,
};
