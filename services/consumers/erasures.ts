// Erased requests stay erased through a rebuild: Kafka's history still holds their webhooks, so a
// rebuild's flattener leaves out the rows of every subject `npm run erase` recorded on the control
// topic (ErasureRecord).
import type { ControlRecord, ErasureRecord } from '../../schemas/control.js';
import type { TableDefinition } from '../../schemas/table.js';
import { defaultWorkspace } from '../../schemas/workspace.js';

/** `table` with a flattener that drops the rows of erased subjects; the table itself when none apply. */
export function withoutErased(table: TableDefinition, control: ReadonlyMap<string, ControlRecord>): TableDefinition {
  const erased = [...control.values()].filter(
    (r): r is ErasureRecord => r.kind === 'erasure' && table.columns.some((c) => c.name === r.column),
  );
  if (erased.length === 0) return table;
  const keyOf = (workspace: unknown, column: string, value: unknown) =>
    `${String(workspace ?? defaultWorkspace)}\u0000${column}\u0000${String(value)}`;
  const keys = new Set(erased.map((r) => keyOf(r.workspace, r.column, r.value)));
  const columns = [...new Set(erased.map((r) => r.column))];
  const isErased = (row: Record<string, unknown>) => columns.some((c) => keys.has(keyOf(row.workspace, c, row[c])));
  const flatten: TableDefinition['consumer']['flatten'] = (message) => {
    const out = table.consumer.flatten(message);
    return out.kind === 'rows' ? { ...out, rows: out.rows.filter((row) => !isErased(row)) } : out;
  };
  return { ...table, consumer: { ...table.consumer, flatten } };
}
