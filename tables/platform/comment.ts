// The comment of a comment event as columns. Thena documents the comment events' payload as
// `comment` {id, content, contentHtml, contentMarkdown, contentJson, commentType, parentCommentId,
// teamId, metadata, …} (its page is cut short there), and says update events carry the previous and
// the updated state without naming them; its comments API adds author, authorId, authorUserType,
// customerContactId, customerContactEmail, commentVisibility, createdAt, updatedAt, deletedAt.
// Those names are read; anything else stays in payload_json.
import type { Row } from '../../schemas/flattener.js';
import { commentKeys, idText } from '../../schemas/thena-platform-webhook.schema.js';
import { asObject, htmlToText, text } from '../thena/convert.js';
import { thenaTime } from './time.js';

type Obj = Record<string, unknown>;

/** Ticket comment events: Thena's comment page says "created", its ticket page "added". */
export const ticketCommentEvent = /^ticket:comment:(created|added|updated|deleted)$/;

export const isCommentDeletion = (eventType: string) => eventType === 'ticket:comment:deleted';

/** The comment as the event leaves it: the first of `comment`, `updatedComment`, `previousComment`. */
export function commentOf(payload: Obj): Obj | null {
  for (const key of commentKeys) {
    const comment = asObject(payload[key]);
    if (comment) return comment;
  }
  return null;
}

/** The author: `author` as an object {id, name, email, type} or as a display name, else authorId/authorEmail. */
function author(c: Obj): Row {
  const a = asObject(c.author);
  return {
    author_id: idText(a?.id) ?? idText(c.authorId),
    author_name: a ? text(a.name) : text(c.author),
    author_email: text(a?.email) ?? text(c.authorEmail),
    author_type: text(a?.type) ?? text(c.authorUserType),
  };
}

/**
 * The comment columns of ticket_comments. The plain text is Thena's `content` (its plain text), or
 * when absent the plain text of `contentHtml`. A deletion is the event type or a `deletedAt`;
 * deleted_at is `deletedAt`, else the deletion event's time.
 */
export function commentColumns(c: Obj, eventType: string, eventTime: bigint): Row {
  const deletedAt = thenaTime(c.deletedAt);
  const deleted = isCommentDeletion(eventType) || deletedAt !== null;
  return {
    parent_comment_id: idText(c.parentCommentId),
    ...author(c),
    customer_contact_id: idText(c.customerContactId),
    customer_contact_email: text(c.customerContactEmail),
    comment_type: text(c.commentType),
    visibility: text(c.commentVisibility),
    content_text: text(c.content) ?? htmlToText(c.contentHtml),
    content_html: text(c.contentHtml),
    content_markdown: text(c.contentMarkdown),
    comment_created_at: thenaTime(c.createdAt),
    comment_updated_at: thenaTime(c.updatedAt),
    is_deleted: deleted,
    deleted_at: deletedAt ?? (deleted ? eventTime : null),
  };
}
