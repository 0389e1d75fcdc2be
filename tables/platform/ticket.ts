// The ticket of a platform event as columns. Thena documents the ticket object of ticket:created
// (id, ticketId, title, statusId/statusName, priorityId/priorityName, teamId/teamName,
// assignedAgent {id, email, name}, customer {id, email, name}, isArchived, createdAt, …) and says
// ticket:updated carries `ticket` and `previousTicket`, ticket:deleted only `previousTicket`. Its
// derived events (ticket:status:changed, …) compare `ticket.status.uid`, so a status may also come
// as an object; both spellings are read. A field that is absent or of another shape is NULL here
// and stays in payload_json.
import type { Row } from '../../schemas/flattener.js';
import { idText } from '../../schemas/thena-platform-webhook.schema.js';
import { asObject, bool, stringList, text } from '../thena/convert.js';
import { thenaTime } from './time.js';

type Obj = Record<string, unknown>;

/**
 * The ticket as the event leaves it: `payload.ticket`, else `payload.previousTicket` (ticket:deleted
 * carries only the deleted ticket: its last state), else null.
 */
export const ticketOf = (payload: Obj): Obj | null => asObject(payload.ticket) ?? asObject(payload.previousTicket);

/** `statusName`, else `status` as text, else `status.name`. */
const nameOf = (t: Obj, key: string): string | null =>
  text(t[`${key}Name`]) ?? (asObject(t[key]) ? text(asObject(t[key])!.name) : text(t[key]));

/** `statusId`, else `status.uid`, else `status.id`. */
const idOf = (t: Obj, key: string): string | null =>
  idText(t[`${key}Id`]) ?? idText(asObject(t[key])?.uid) ?? idText(asObject(t[key])?.id);

/**
 * The assignee: `assignedAgent` {id, email, name} (or its name as a string), else `assignedAgentId`
 * / `assignedAgentEmail`, else `assignedTo` (an id). `is_assigned` tells an unassigned ticket
 * (one of those members sent as null) from a ticket whose event did not say (NULL).
 */
function assignee(t: Obj): Row {
  const agent = asObject(t.assignedAgent);
  const id = idText(agent?.id) ?? idText(t.assignedAgentId) ?? idText(t.assignedTo);
  const email = text(agent?.email) ?? text(t.assignedAgentEmail);
  const name = agent ? text(agent.name) : text(t.assignedAgent);
  const said = ['assignedAgent', 'assignedAgentId', 'assignedTo'].some((k) => k in t);
  const assigned = id !== null || email !== null || name !== null;
  return {
    assignee_id: id,
    assignee_email: email,
    assignee_name: name,
    is_assigned: assigned ? true : said ? false : null,
  };
}

/** An event's type settles archival; otherwise the ticket's isArchived does. */
const archivedByType = new Map([
  ['ticket:archived', true],
  ['ticket:unarchived', false],
]);

/** The ticket columns of ticket_events for an event of `eventType` carrying `t` (null: all NULL). */
export function ticketColumns(t: Obj | null, eventType: string): Row {
  const o = t ?? {};
  const customer = asObject(o.customer);
  const team = asObject(o.team);
  return {
    ticket_number: text(o.ticketId),
    title: text(o.title),
    description: text(o.description),
    status: nameOf(o, 'status'),
    status_id: idOf(o, 'status'),
    priority: nameOf(o, 'priority'),
    priority_id: idOf(o, 'priority'),
    sentiment: nameOf(o, 'sentiment'),
    ticket_type: nameOf(o, 'type'),
    source: text(o.source),
    team_id: idText(o.teamId) ?? idText(team?.id),
    team_name: text(o.teamName) ?? text(team?.name),
    sub_team_id: idText(o.subTeamId),
    sub_team_name: text(o.subTeamName),
    ...assignee(o),
    customer_id: idText(customer?.id) ?? idText(o.customerId),
    customer_email: text(customer?.email) ?? text(o.customerContactEmail),
    is_escalated: bool(o.isEscalated),
    is_archived: archivedByType.get(eventType) ?? bool(o.isArchived),
    tags: stringList(o.tags),
    ai_title: text(o.aiGeneratedTitle),
    ai_summary: text(o.aiGeneratedSummary),
    created_at: thenaTime(o.createdAt),
    updated_at: thenaTime(o.updatedAt),
  };
}
