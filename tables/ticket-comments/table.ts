// ticket_comments: its columns and keys, the consumer service that fills it, and its views.
import { column, type TableDefinition } from '../../schemas/table.js';
import { topics } from '../../schemas/topics.js';
import { viewsIn } from '../views.js';
import { payloadJsonColumn, platformColumns } from '../platform/event.js';
import { platformPrivacy } from '../platform/privacy.js';
import { ticketCommentsFlattener } from './flatten.js';

const commentField = (name: string, field: string, personal?: 'identity' | 'text') =>
  column(name, 'STRING', 'NULLABLE', `The comment's ${field}.`, personal);
const commentTime = (name: string, field: string) => column(name, 'TIMESTAMP', 'NULLABLE', `The comment's ${field}.`);

export const ticketComments: TableDefinition = {
  name: 'ticket_comments',
  description:
    'One row per ticket comment event (ticket:comment:created/added, updated, deleted): each state of each comment, deletions included.',
  factKey: ['workspace', 'comment_id', 'event_id'],
  version: 1,
  partitionColumn: 'event_time',
  clustering: ['workspace', 'ticket_id', 'comment_id'],
  columns: [
    ...platformColumns,
    column(
      'comment_id',
      'STRING',
      'NULLABLE',
      'payload.comment.id, else the updated or previous comment’s id; NULL when the event names none.',
    ),
    column(
      'ticket_id',
      'STRING',
      'NULLABLE',
      'The ticket commented on: payload.ticket.id, else the comment’s entityId (entityType ticket, or none on a ticket:comment event); NULL when none (a deletion may name only the comment).',
    ),
    column('ticket_id_source', 'STRING', 'NULLABLE', 'Where ticket_id was read, e.g. payload.comment.entityId.'),
    column('actor_id', 'STRING', 'NULLABLE', 'actor.id: who caused the event (for a deletion, who deleted).'),
    column('actor_email', 'STRING', 'NULLABLE', 'actor.email', 'identity'),
    commentField('parent_comment_id', 'parentCommentId (the comment it replies to)'),
    commentField('author_id', 'author id (author.id or authorId)'),
    commentField('author_name', 'author name (author.name, or author as a display name)', 'identity'),
    commentField('author_email', 'author e-mail address (author.email or authorEmail)', 'identity'),
    commentField('author_type', 'author type (author.type or authorUserType)'),
    commentField('customer_contact_id', 'customerContactId'),
    commentField('customer_contact_email', 'customerContactEmail', 'identity'),
    commentField('comment_type', 'commentType'),
    commentField('visibility', 'commentVisibility (public, private)'),
    commentField('content_text', 'plain text: content, else contentHtml with its tags removed', 'text'),
    commentField('content_html', 'contentHtml as sent', 'text'),
    commentField('content_markdown', 'contentMarkdown as sent', 'text'),
    commentTime('comment_created_at', 'createdAt'),
    commentTime('comment_updated_at', 'updatedAt'),
    column('is_deleted', 'BOOL', 'REQUIRED', 'TRUE for ticket:comment:deleted, or when the comment has a deletedAt.'),
    column('deleted_at', 'TIMESTAMP', 'NULLABLE', "The comment's deletedAt, else the deletion event's time."),
    payloadJsonColumn,
  ],
  consumer: {
    service: 'ticket-comments',
    topic: topics.platformEvents.name,
    flatten: ticketCommentsFlattener,
    metricsPort: 9107,
  },
  views: viewsIn(import.meta.dirname, ['comment_history', 'comments']),
  factView: 'comment_history',
  privacy: platformPrivacy,
};
