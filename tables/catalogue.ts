// The catalogue: every table of the pipeline, in the order its views are created. Everything that
// lists tables reads it: the consumer services, `npm start`, the sinks' migrations and views, the
// query command, the pseudonymisation, the tests' accounting. Adding a table is a folder under
// tables/ (declaration, flattener, views, tests) and a line here; test/unit/catalogue.test.ts
// names any other place that must hear of it (the compose file, Prometheus).
import type { TableDefinition, ViewDeclaration } from '../schemas/table.js';
import { requestEvents } from './request-events/table.js';
import { requestActivity } from './request-activity/table.js';
import { requestAssignments } from './request-assignments/table.js';
import { requestCsat } from './request-csat/table.js';
import { rejectedEvents } from './rejected-events/table.js';
import { ticketEvents } from './ticket-events/table.js';
import { ticketComments } from './ticket-comments/table.js';

export const catalogue: readonly TableDefinition[] = [
  requestEvents,
  requestActivity,
  requestAssignments,
  requestCsat,
  rejectedEvents,
  ticketEvents,
  ticketComments,
];

/** The table whose consumer service has this name, or undefined. */
export const tableOfService = (service: string, tables = catalogue): TableDefinition | undefined =>
  tables.find((t) => t.consumer.service === service);

/** Every view of `tables`, in creation order, with the fact key of its table. */
export const viewsOf = (
  tables: readonly TableDefinition[] = catalogue,
): (ViewDeclaration & { factKey: readonly string[] })[] =>
  tables.flatMap((t) => t.views.map((v) => ({ ...v, factKey: t.factKey })));

/**
 * A view's SQL for one engine: `{{name}}` becomes `reference(name)`, `{{fact_key}}` its table's
 * fact key.
 */
export function viewSql(
  view: ViewDeclaration & { factKey: readonly string[] },
  reference: (name: string) => string,
): string {
  return view.sql
    .replace(/\{\{fact_key\}\}/g, view.factKey.join(', '))
    .replace(/\{\{(\w+)\}\}/g, (_m, name: string) => reference(name));
}

export {
  requestEvents,
  requestActivity,
  requestAssignments,
  requestCsat,
  rejectedEvents,
  ticketEvents,
  ticketComments,
};
