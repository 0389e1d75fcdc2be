// The consumer services: each is a table declaration, a topic and a flattener. Everything else is
// the shared runtime. Adding a table means adding an entry here (and its flattener and declaration).
import { topics } from '../../schemas/topics.js';
import {
  rejectedEvents,
  requestActivity,
  requestAssignments,
  requestCsat,
  requestEvents,
} from '../../schemas/tables.js';
import { requestEventsFlattener } from './flatten/request-events.js';
import { requestActivityFlattener } from './flatten/request-activity.js';
import { requestAssignmentsFlattener } from './flatten/request-assignments.js';
import { requestCsatFlattener } from './flatten/request-csat.js';
import { rejectedEventsFlattener } from './flatten/rejected-events.js';
import type { ConsumerServiceDeclaration } from './runtime/runtime.js';

export const consumerServices = {
  'request-events': {
    name: 'request-events',
    table: requestEvents,
    topic: topics.requestEvents.name,
    flatten: requestEventsFlattener,
  },
  'request-activity': {
    name: 'request-activity',
    table: requestActivity,
    topic: topics.requestEvents.name,
    flatten: requestActivityFlattener,
  },
  'request-assignments': {
    name: 'request-assignments',
    table: requestAssignments,
    topic: topics.requestEvents.name,
    flatten: requestAssignmentsFlattener,
  },
  'request-csat': {
    name: 'request-csat',
    table: requestCsat,
    topic: topics.requestEvents.name,
    flatten: requestCsatFlattener,
  },
  'rejected-events': {
    name: 'rejected-events',
    table: rejectedEvents,
    topic: topics.deadLetter.name,
    flatten: rejectedEventsFlattener,
  },
} as const satisfies Record<string, ConsumerServiceDeclaration>;

export type ConsumerServiceName = keyof typeof consumerServices;
