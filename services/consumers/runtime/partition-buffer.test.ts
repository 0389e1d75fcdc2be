// The facts a partition has written: repeats are left out, and only the latest `suppressionSize`
// facts are remembered, the oldest forgotten first.
import { describe, expect, it } from 'vitest';
import { PartitionBuffer } from './partition-buffer.js';

const message = (offset: number) => ({ offset: String(offset), value: null, retryCount: 0 });
const fact = (id: string) => ({ fact_id: id });

describe('PartitionBuffer', () => {
  it('leaves out facts it wrote, and remembers only the latest suppressionSize of them', () => {
    const b = new PartitionBuffer(0, (row) => String(row.fact_id), 3);
    expect(b.add(message(1), ['a', 'b', 'c'].map(fact))).toBe(0);
    // A repeat of a remembered fact is left out.
    expect(b.add(message(2), [fact('b')])).toBe(1);
    // A fourth fact pushes out the oldest written, `a` (a repeat left out does not refresh `b`).
    expect(b.add(message(3), [fact('d')])).toBe(0);
    expect(b.add(message(4), [fact('a')])).toBe(0);
    expect(b.add(message(5), [fact('d')])).toBe(1);
    expect(b.take()?.rows.map((r) => r.fact_id)).toEqual(['a', 'b', 'c', 'd', 'a']);
  });

  it('forgets every fact after a rebalance, since the partition may be read again', () => {
    const b = new PartitionBuffer(0, (row) => String(row.fact_id), 10);
    b.add(message(1), [fact('a')]);
    b.reset();
    expect(b.add(message(1), [fact('a')])).toBe(0);
  });
});
