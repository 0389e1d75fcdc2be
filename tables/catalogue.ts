// The catalogue: every table of the pipeline, in the order its views are created, and the views
// that read several tables (created after them). Everything that lists tables reads it: the
// consumer services, `npm start`, the sinks' migrations and views, the query command, the
// pseudonymisation, the tests' accounting. Adding a table is a folder under tables/ (declaration,
// flattener, views, tests) and a line here; test/unit/catalogue.test.ts names any other place that
// must hear of it (the compose file, Prometheus).
import type { CrossTableViews, TableDefinition, ViewDeclaration } from '../schemas/table.js';
import { requestEvents } from './request-events/table.js';
import { requestActivity } from './request-activity/table.js';
import { requestAssignments } from './request-assignments/table.js';
import { requestCsat } from './request-csat/table.js';
import { rejectedEvents } from './rejected-events/table.js';
import { ticketEvents } from './ticket-events/table.js';
import { ticketComments } from './ticket-comments/table.js';
import { metricViews } from './metrics/views.js';
import { driftViews } from './drift/views.js';

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

/** A view as the engines create it: its SQL, and the fact key of its table when it has one. */
export type CatalogueView = ViewDeclaration & { factKey?: readonly string[] };

/**
 * The views that read several tables (tables/metrics/): created after every table's own views,
 * where all the tables they read are present.
 */
export const crossTableViews: readonly CrossTableViews[] = [metricViews, driftViews];

/** The tables' own views, in creation order, each with the fact key of its table. */
export const tableViewsOf = (
  tables: readonly TableDefinition[] = catalogue,
): (ViewDeclaration & { factKey: readonly string[] })[] =>
  tables.flatMap((t) => t.views.map((v) => ({ ...v, factKey: t.factKey })));

/** The cross-table views every table of which is among `tables`, in creation order. */
export const crossViewsOf = (
  tables: readonly TableDefinition[] = catalogue,
  sets: readonly CrossTableViews[] = crossTableViews,
): CatalogueView[] =>
  sets.filter((set) => set.reads.every((name) => tables.some((t) => t.name === name))).flatMap((set) => set.views);

/** Every view over `tables`, in creation order: the tables' own views, then the cross-table views. */
export const viewsOf = (tables: readonly TableDefinition[] = catalogue): CatalogueView[] => [
  ...tableViewsOf(tables),
  ...crossViewsOf(tables),
];

/**
 * A view's SQL for one engine: `{{name}}` becomes `reference(name)`, `{{fact_key}}` its table's
 * fact key (a cross-table view has none, and may not use it).
 */
export function viewSql(view: CatalogueView, reference: (name: string) => string): string {
  return view.sql
    .replace(/\{\{fact_key\}\}/g, () => {
      if (!view.factKey) throw new Error(`view ${view.name}: {{fact_key}} is only for a table's own views`);
      return view.factKey.join(', ');
    })
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
