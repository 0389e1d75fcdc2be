// The payload_drift view: findings of both sources' bodies, per workspace, source, path and kind.
// It reads request_history and ticket_history, so it is a cross-table view (schemas/table.ts).
import type { CrossTableViews } from '../../schemas/table.js';
import { viewsIn } from '../views.js';

export const driftViews: CrossTableViews = {
  reads: ['request_events', 'ticket_events'],
  views: viewsIn(import.meta.dirname, ['payload_drift']),
};
