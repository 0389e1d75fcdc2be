import { describe, expect, it } from 'vitest';
import type { ControlRecord } from '../../schemas/control.js';
import { requestActivity, requestEvents, ticketEvents } from '../../tables/catalogue.js';
import { envelopeMessage } from '../../test/fixtures/envelopes.js';
import { lifecycle } from '../../test/fixtures/lifecycle.js';
import { withoutErased } from './erasures.js';

const erasure = (value: string, workspace = 'default'): [string, ControlRecord] => [
  `erasure/${workspace}/request_id/${value}`,
  { kind: 'erasure', column: 'request_id', value, workspace, at: '2026-11-29T00:00:00Z' },
];
const rowsOf = (out: ReturnType<typeof requestEvents.consumer.flatten>) => (out.kind === 'rows' ? out.rows : []);

describe('withoutErased', () => {
  const [first] = lifecycle('7001').bodies;
  const [other] = lifecycle('7002').bodies;

  it('drops the rows of an erased request in its workspace, and keeps everyone else’s', () => {
    const control = new Map([erasure('7001')]);
    for (const table of [requestEvents, requestActivity]) {
      const filtered = withoutErased(table, control);
      expect(rowsOf(filtered.consumer.flatten(envelopeMessage(first)))).toEqual([]);
      const kept = rowsOf(filtered.consumer.flatten(envelopeMessage(other)));
      expect(kept).toEqual(rowsOf(table.consumer.flatten(envelopeMessage(other))));
      expect(kept.length).toBeGreaterThan(0);
    }
  });

  it('keeps a request of the same id in another workspace, and tables without the column as they are', () => {
    const control = new Map([erasure('7001', 'acme')]);
    expect(rowsOf(withoutErased(requestEvents, control).consumer.flatten(envelopeMessage(first)))).toHaveLength(1);
    expect(withoutErased(ticketEvents, new Map([erasure('7001')]))).toBe(ticketEvents);
  });
});
