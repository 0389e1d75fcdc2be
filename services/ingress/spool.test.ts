import { appendFileSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool, SpoolFullError } from './spool.js';

const msg = (i: number) => ({ topic: 't', key: `k${i % 3}`, value: `{"n":${i}}` });
const dir = () => mkdtempSync(join(tmpdir(), 'spool-'));

async function drainAll(spool: Spool): Promise<string[]> {
  const out: string[] = [];
  for (let next = spool.peek(4); next; next = spool.peek(4)) {
    out.push(...next.messages.map((m) => m.value));
    next.acknowledge();
  }
  return out;
}

describe('Spool', () => {
  it('gives back what was appended, in order, and forgets it once acknowledged', async () => {
    const spool = Spool.open(dir(), 1e6);
    await Promise.all(Array.from({ length: 10 }, (_, i) => spool.append(msg(i))));
    expect(spool.depth).toBe(10);
    expect(await drainAll(spool)).toEqual(Array.from({ length: 10 }, (_, i) => `{"n":${i}}`));
    expect(spool.depth).toBe(0);
    expect(spool.bytes).toBe(0);
  });

  it('keeps what was not acknowledged across a restart, across segments', async () => {
    const d = dir();
    const first = Spool.open(d, 1e6, 64); // tiny segments: several files
    for (let i = 0; i < 10; i++) await first.append(msg(i));
    expect(readdirSync(d).filter((f) => f.endsWith('.log')).length).toBeGreaterThan(1);
    const some = first.peek(3)!; // the first segment's records (a peek stays within a segment)
    const sent = some.messages.length;
    expect(sent).toBeGreaterThan(0);
    some.acknowledge();
    first.close();

    const again = Spool.open(d, 1e6, 64);
    expect(again.depth).toBe(10 - sent);
    expect(await drainAll(again)).toEqual(Array.from({ length: 10 - sent }, (_, i) => `{"n":${i + sent}}`));
  });

  it('cuts off a torn last record at open instead of failing', async () => {
    const d = dir();
    const spool = Spool.open(d, 1e6);
    for (let i = 0; i < 3; i++) await spool.append(msg(i));
    spool.close();
    const segment = join(
      d,
      readdirSync(d).find((f) => f.endsWith('.log'))!,
    );
    const size = statSync(segment).size;
    appendFileSync(segment, Buffer.from([0, 0, 0, 50, 1, 2, 3, 4, 123, 34])); // a frame cut short
    const reopened = Spool.open(d, 1e6);
    expect(reopened.tornRecords).toBe(1);
    expect(statSync(segment).size).toBe(size);
    expect(await drainAll(reopened)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}']);
  });

  it('refuses appends past its bound', async () => {
    const spool = Spool.open(dir(), 60);
    await spool.append(msg(1));
    await expect(spool.append({ topic: 't', key: null, value: 'x'.repeat(100) })).rejects.toBeInstanceOf(
      SpoolFullError,
    );
  });

  it('gives back a record larger than its read window', async () => {
    const spool = Spool.open(dir(), 64 * 1024 * 1024);
    const big = { topic: 't', key: null, value: 'x'.repeat(6 * 1024 * 1024) };
    await spool.append(msg(1));
    await spool.append(big);
    expect((await drainAll(spool)).map((v) => v.length)).toEqual([7, big.value.length]);
  });
});
