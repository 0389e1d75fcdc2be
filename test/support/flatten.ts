// For flattener tests: the rows of a result that must have rows.
import type { FlattenResult, Row } from '../../schemas/flattener.js';

export function flattened(result: FlattenResult): { rows: Row[]; counts?: Record<string, number> } {
  if (result.kind !== 'rows') throw new Error(`expected rows, got a dead letter: ${result.reason}: ${result.message}`);
  return result;
}
