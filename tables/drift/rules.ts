// How each source's bodies are judged for payload drift, and the column that records the findings
// in request_events and ticket_events.
import { platformDocumentedSchema, platformExpectedFields } from '../../schemas/thena-platform-webhook.schema.js';
import { requestExpectedFields, webhookSchema } from '../../schemas/thena-webhook.schema.js';
import { column, type ColumnDeclaration } from '../../schemas/table.js';
import { driftEntry, observeDrift, shapeOf, type DriftRules } from './observe.js';

/** The request webhook, judged whole (`action`, `request.…`) against the schema the ingress validates with. */
export const requestDrift: DriftRules = { shape: shapeOf(webhookSchema), expected: requestExpectedFields };

/** A platform event, judged from the event (inside `message` when Thena wraps it so). */
export const platformDrift: DriftRules = { shape: shapeOf(platformDocumentedSchema), expected: platformExpectedFields };

/** The `payload_drift` value of a body. */
export const driftColumnValue = (body: unknown, rules: DriftRules): string[] =>
  observeDrift(body, rules).map(driftEntry);

/** The column of the tables whose bodies are judged; its values are read by the payload_drift view. */
export const payloadDriftColumn: ColumnDeclaration = column(
  'payload_drift',
  'STRING',
  'REPEATED',
  'Where the body differs from what Thena documents: one JSON array [kind, path, example] per finding, kind unknown, type or missing (docs/drift.md); empty when none.',
  'drift',
);
