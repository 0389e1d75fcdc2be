// ticket_comments: one row per ticket comment event (created, updated, deleted), deletions
// included as rows of their own; every other event type yields no row.
import { rows, type FlattenResult } from '../../schemas/flattener.js';
import { commentIdOf, idText, ticketRefOf } from '../../schemas/thena-platform-webhook.schema.js';
import { text } from '../thena/convert.js';
import { bodyJson, fromPlatformEvents, platformRow, type PlatformEvent } from '../platform/event.js';
import { commentColumns, commentOf, ticketCommentEvent } from '../platform/comment.js';

export function flattenTicketComment(e: PlatformEvent): FlattenResult {
  if (!ticketCommentEvent.test(e.eventType)) return rows([]);
  const ticket = ticketRefOf(e.eventType, e.payload);
  const commentId = commentIdOf(e.payload);
  const row = platformRow(
    e,
    {
      comment_id: commentId,
      ticket_id: ticket?.id ?? null,
      ticket_id_source: ticket?.path ?? null,
      actor_id: idText(e.actor?.id),
      actor_email: text(e.actor?.email),
    },
    commentColumns(commentOf(e.payload) ?? {}, e.eventType, e.eventTime),
    { payload_json: bodyJson(e) },
  );
  // Kept either way (payload_json has what came); what the views cannot place is counted.
  const counts = {
    ...(commentId === null ? { comment_id_missing: 1 } : {}),
    ...(ticket === null ? { ticket_id_missing: 1 } : {}),
  };
  return rows([row], Object.keys(counts).length > 0 ? counts : undefined);
}

export const ticketCommentsFlattener = fromPlatformEvents(flattenTicketComment);
