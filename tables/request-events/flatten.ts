// request_events: one row per accepted event, the request's history.
import { rows, type FlattenResult } from '../../schemas/flattener.js';
import { asObject, bool, htmlToText, int, isoMicros, slackMicros, stringList, text } from '../thena/convert.js';
import { eventRow, fromEvents, type RequestEvent } from '../thena/request-event.js';
import { driftColumnValue, requestDrift } from '../drift/rules.js';

const id = (v: unknown) => text(asObject(v)?.id);

export function flattenRequestEvent(e: RequestEvent): FlattenResult {
  const r = e.request;
  return rows([
    eventRow(e, {
      action: e.action,
      received_at: e.receivedAt,
      created_at: isoMicros(r.createdAt),
      updated_at: isoMicros(r.updatedAt),
      closed_on: isoMicros(r.closed_on),
      status: text(r.status),
      team_id: text(r.team_id),
      team_name: text(r.team_name),
      channel_id: text(r.channelId),
      channel_name: text(r.channelName),
      customer_name: text(r.customer_name),
      requestor_id: id(r.requestor),
      assigned_to_id: id(r.assignedTo),
      assigned_by_id: id(r.assignedBy),
      closed_by_id: id(r.closed_by),
      reply_count: int(r.replyCount),
      ai_title: text(r.AI_requestTitle),
      ai_summary: text(r.AI_requestSummary),
      ai_sentiment: text(r.AI_requestSentiment),
      ai_urgency: text(r.AI_requestUrgency),
      ai_tags: stringList(r.AI_generatedTags),
      is_internal_helpdesk: bool(r.isInternalHelpdesk),
      is_private_channel: bool(r.isPrivateChannel),
      description_html: text(r.description),
      description_text: htmlToText(r.description),
      request_ts: slackMicros(r.requestTs),
      field_problems_json: e.fieldProblems ? JSON.stringify(e.fieldProblems) : null,
      payload_json: JSON.stringify(r),
      payload_drift: driftColumnValue(e.body, requestDrift),
    }),
  ]);
}

export const requestEventsFlattener = fromEvents(flattenRequestEvent);
