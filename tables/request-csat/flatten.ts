// request_csat: one row per CSAT entry of `feedbacks` (see tables/thena/feedbacks.ts).
import { rows, type FlattenResult, type Row } from '../../schemas/flattener.js';
import { parseFeedbacks } from '../thena/feedbacks.js';
import { eventRow, fromEvents, type RequestEvent } from '../thena/request-event.js';

export function flattenCsat(e: RequestEvent): FlattenResult {
  const entries = parseFeedbacks(e.request.feedbacks);
  const out: Row[] = entries.map((entry) =>
    eventRow(e, {
      rater: entry.rater,
      rating: entry.rating,
      comment: entry.comment,
      feedback_html: entry.html,
    }),
  );
  const unreadable = entries.filter((entry) => entry.rating === null).length;
  return rows(out, unreadable > 0 ? { unreadable_csat: unreadable } : undefined);
}

export const requestCsatFlattener = fromEvents(flattenCsat, { reads: ['createdAt', 'updatedAt', 'feedbacks'] });
