// request_assignments: one row per event that names an assignee (assignedTo with an id or name).
import { rows, type FlattenResult } from '../../schemas/flattener.js';
import { asObject, text } from '../thena/convert.js';
import { eventRow, fromEvents, type RequestEvent } from '../thena/request-event.js';

export function flattenAssignment(e: RequestEvent): FlattenResult {
  const to = asObject(e.request.assignedTo);
  const by = asObject(e.request.assignedBy);
  const toId = text(to?.id);
  const toName = text(to?.name);
  if (!toId && !toName) return rows([]);
  return rows([
    eventRow(e, {
      status: text(e.request.status),
      assigned_to_id: toId,
      assigned_to_name: toName,
      assigned_by_id: text(by?.id),
      assigned_by_name: text(by?.name),
    }),
  ]);
}

export const requestAssignmentsFlattener = fromEvents(flattenAssignment, {
  reads: ['createdAt', 'updatedAt', 'status', 'assignedTo', 'assignedBy'],
});
