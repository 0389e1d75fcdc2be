// The payload-drift views: each finding of each event (payload_drift_findings), summed per
// workspace, source, path and kind (payload_drift) and per day (payload_drift_daily). They read
// request_history and ticket_history, so they are cross-table views (schemas/table.ts).
import type { CrossTableViews } from '../../schemas/table.js';
import { viewsIn } from '../views.js';

export const driftViews: CrossTableViews = {
  reads: ['request_events', 'ticket_events'],
  views: viewsIn(import.meta.dirname, ['payload_drift_findings', 'payload_drift', 'payload_drift_daily']),
};
