// A message through its table's flattener, as the runtime calls it: the flattener's verdict, or a
// failure to dead-letter when it threw `maxTries` times (a flattener is pure, so a throw is the
// message's own: a second call fails the same way unless the fault was passing, such as memory).
import type { Flattener, Row, SourceMessage } from '../../../schemas/flattener.js';
import type { Failure } from './dead-letters.js';
import { maxTries } from './narrow.js';

export type Flattened = { rows: Row[]; counts: Record<string, number> } | { failure: Failure };

export function flattenMessage(flatten: Flattener, source: SourceMessage): Flattened {
  let lastError: unknown;
  for (let tries = 0; tries < maxTries; tries++) {
    try {
      const result = flatten(source);
      if (result.kind === 'rows') return { rows: result.rows, counts: result.counts ?? {} };
      return { failure: { kind: 'verdict', stage: 'flatten', reason: result.reason, message: result.message } };
    } catch (err) {
      lastError = err;
    }
  }
  const message = `${(lastError as Error)?.message ?? String(lastError)} (the flattener threw ${maxTries} times)`;
  return { failure: { kind: 'poison', stage: 'flatten', reason: 'flatten_failed', message } };
}
