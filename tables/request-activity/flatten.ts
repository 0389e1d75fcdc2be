// request_activity: one row per activity item of an event. Payloads are cumulative, so the same
// item comes back in every later event; the runtime suppresses repeats and the view keeps one.
import { rows, type FlattenResult, type Row } from '../../schemas/flattener.js';
import { asObject, htmlToText, slackMicros, text } from '../thena/convert.js';
import { eventRow, fromEvents, type RequestEvent } from '../thena/request-event.js';

export function flattenActivity(e: RequestEvent): FlattenResult {
  const items = Array.isArray(e.request.activity) ? e.request.activity : [];
  const out: Row[] = items.map((raw, index) => {
    const item = asObject(raw) ?? {};
    const user = asObject(item.user);
    return eventRow(e, {
      activity_index: index,
      activity_id: text(item.id),
      activity_ts: slackMicros(item.ts),
      activity_ts_raw: text(item.ts),
      user_id: text(user?.id),
      user_name: text(user?.name),
      text_html: text(item.text),
      text_plain: htmlToText(item.text),
    });
  });
  return rows(out);
}

export const requestActivityFlattener = fromEvents(flattenActivity);
