// The metric views: per request (request_metrics), then per team and per assignee and UTC day
// (team_daily, assignee_daily). They read the request tables' views, not one table, so they are
// cross-table views (schemas/table.ts), created after every table's own views. Definitions are in
// the SQL files' comments and docs/lake.md ("Metric views").
import type { CrossTableViews } from '../../schemas/table.js';
import { viewsIn } from '../views.js';

export const metricViews: CrossTableViews = {
  reads: ['request_events', 'request_activity', 'request_assignments', 'request_csat'],
  views: viewsIn(import.meta.dirname, ['request_metrics', 'team_daily', 'assignee_daily']),
};
