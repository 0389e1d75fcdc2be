import { describe, expect, it } from 'vitest';
import { halves, joined, slice, withoutRows } from './narrow.js';
import type { Batch } from './partition-buffer.js';
import { redrivenFor } from './dead-letters.js';
import { flattenMessage } from './flatten.js';

/** Messages at offsets 10.. with 0, 2, 1, 3 rows: rows named after their message. */
function batch(): Batch {
  const counts = [0, 2, 1, 3];
  const messages = counts.map((rows, i) => ({
    offset: String(10 + i),
    value: Buffer.from(`m${i}`),
    retryCount: 0,
    rows,
    failures: 0,
  }));
  const rows = counts.flatMap((n, i) => Array.from({ length: n }, (_, r) => ({ m: i, r })));
  return { partition: 3, firstOffset: '10', lastOffset: '13', rows, messages };
}

describe('narrowing a batch', () => {
  it('slices by message, with exactly their rows and offsets', () => {
    const b = slice(batch(), 1, 3);
    expect([b.firstOffset, b.lastOffset]).toEqual(['11', '12']);
    expect(b.rows).toEqual([
      { m: 1, r: 0 },
      { m: 1, r: 1 },
      { m: 2, r: 0 },
    ]);
    expect(b.partition).toBe(3);
  });

  it('halves cover the batch in order, and join back to it', () => {
    const whole = batch();
    const [a, b] = halves(whole);
    expect(a.messages.map((m) => m.offset)).toEqual(['10', '11']);
    expect(b.messages.map((m) => m.offset)).toEqual(['12', '13']);
    expect([...a.rows, ...b.rows]).toEqual(whole.rows);
    expect(joined([a, b])).toEqual(whole);
    expect(() => halves(slice(whole, 0, 1))).toThrow(/no halves/);
  });

  it('narrows any batch down to one message in at most ceil(log2 n) halvings', () => {
    let b = batch();
    let steps = 0;
    while (b.messages.length > 1) {
      b = halves(b)[1];
      steps++;
    }
    expect(steps).toBe(2);
    expect(b.rows).toEqual([0, 1, 2].map((r) => ({ m: 3, r })));
  });

  it('a message committed past carries no rows', () => {
    const one = withoutRows(slice(batch(), 3, 4));
    expect(one.rows).toEqual([]);
    expect(one.messages.map((m) => [m.offset, m.rows])).toEqual([['13', 0]]);
  });
});

describe('redrivenFor', () => {
  it.each([
    [undefined, true],
    ['request-csat', true],
    ['request-csat/bigquery', true],
    ['request-csat/parquet', false],
    ['request-events/bigquery', false],
    ['request-events', false],
  ])('header %s: %s for request-csat/bigquery', (header, expected) => {
    expect(redrivenFor(header, 'request-csat', 'bigquery')).toBe(expected);
  });
});

describe('flattenMessage', () => {
  const source = { topic: 't', partition: 0, offset: '1', value: '{}' };

  it('gives a thrown flattener maxTries calls, then a poison failure naming the error', () => {
    let calls = 0;
    const out = flattenMessage(() => {
      calls++;
      throw new Error('boom');
    }, source);
    expect(calls).toBe(3);
    expect(out).toEqual({
      failure: {
        kind: 'poison',
        stage: 'flatten',
        reason: 'flatten_failed',
        message: 'boom (the flattener threw 3 times)',
      },
    });
  });

  it('takes a passing fault, and a verdict, as they come', () => {
    let calls = 0;
    const flaky = () => {
      if (calls++ === 0) throw new Error('once');
      return { kind: 'rows' as const, rows: [{ a: 1 }] };
    };
    expect(flattenMessage(flaky, source)).toEqual({ rows: [{ a: 1 }], counts: {} });
    expect(flattenMessage(() => ({ kind: 'dead-letter', reason: 'bad', message: 'why' }), source)).toEqual({
      failure: { kind: 'verdict', stage: 'flatten', reason: 'bad', message: 'why' },
    });
  });
});
