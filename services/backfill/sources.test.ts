import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RepeatedCursorError } from './errors.js';
import { fileFacts, lineItem, ndjsonFileSource, pagedSource, type Chunk, type Page } from './sources.js';

const dir = mkdtempSync(join(tmpdir(), 'backfill-sources-'));
const file = (name: string, text: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function readAll(chunks: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

const brief = (chunks: Chunk[]) =>
  chunks.map((c) => ({
    done: c.done,
    resume: c.resume,
    last: c.last,
    items: c.items.map((i) => (i.kind === 'item' ? i.where : `${i.where}: ${i.reason}`)),
  }));

describe('lineItem', () => {
  it.each([
    ['{"requestId":"1"}', 2, { kind: 'item', value: { requestId: '1' }, raw: '{"requestId":"1"}' }],
    ['{"requestId":"1"}\r', 2, { kind: 'item', raw: '{"requestId":"1"}' }],
    ['\uFEFF{"a":1}', 1, { kind: 'item', value: { a: 1 } }],
    ['  {"a":1}  ', 2, { kind: 'item', raw: '{"a":1}' }],
    ['[1,2]', 2, { kind: 'item', value: [1, 2] }],
    ['{"a":', 2, { kind: 'unreadable', reason: 'invalid_json', raw: '{"a":' }],
  ])('%j (line %i)', (text, n, expected) => {
    expect(lineItem(text, n, 'x.ndjson')).toMatchObject({ ...expected, where: `line ${n} of x.ndjson` });
  });

  it.each(['', '   ', '\r', '\t'])('skips the blank line %j', (text) => {
    expect(lineItem(text, 3, 'x.ndjson')).toBeUndefined();
  });
});

describe('the NDJSON file source', () => {
  const lines = ['{"n":1}', '', '{"n":2}', 'not json', '{"n":3}', '   ', '{"n":4}', '{"n":5}'];
  const text = lines.join('\n') + '\n';
  /** The byte offset just past line n. */
  const after = (n: number) => String(Buffer.byteLength(lines.slice(0, n).join('\n') + '\n'));

  it('reads every line in chunks, skips blank lines, and reads a bad line as unreadable', async () => {
    const path = file('a.ndjson', text);
    const facts = await fileFacts(path);
    expect(facts).toEqual({
      sha256: createHash('sha256').update(text).digest('hex'),
      lines: 8,
      bytes: Buffer.byteLength(text),
    });
    const source = ndjsonFileSource(path, facts, { lines: 3, bytes: 1 << 20 });
    expect(source).toMatchObject({ unit: 'line', total: 8 });
    expect(source.describe).toMatch(/^file a\.ndjson \(SHA-256 [0-9a-f]{12}…\)$/);
    expect(brief(await readAll(source.read()))).toEqual([
      { done: 3, resume: after(3), last: false, items: ['line 1 of a.ndjson', 'line 3 of a.ndjson'] },
      { done: 6, resume: after(6), last: false, items: ['line 4 of a.ndjson: invalid_json', 'line 5 of a.ndjson'] },
      { done: 8, resume: after(8), last: true, items: ['line 7 of a.ndjson', 'line 8 of a.ndjson'] },
    ]);
  });

  it('resumes from a checkpoint at the byte after its last line, numbering lines on', async () => {
    const path = file('b.ndjson', text);
    const source = ndjsonFileSource(path, await fileFacts(path), { lines: 3, bytes: 1 << 20 });
    const chunks = await readAll(source.read({ done: 3, resume: after(3) }));
    expect(after(8)).toBe(String(Buffer.byteLength(text)));
    expect(brief(chunks)[0]).toEqual({
      done: 6,
      resume: after(6),
      last: false,
      items: ['line 4 of b.ndjson: invalid_json', 'line 5 of b.ndjson'],
    });
    expect(chunks.flatMap((c) => c.items).map((i) => i.kind === 'item' && i.value)).toEqual([
      false,
      { n: 3 },
      { n: 4 },
      { n: 5 },
    ]);
    expect(await readAll(source.read({ done: 8, resume: after(8) }))).toEqual([]);
  });

  it('reads a last line without a newline, CRLF line ends, and lines that span read buffers', async () => {
    const long = JSON.stringify({ n: 1, pad: 'x'.repeat(200_000) });
    const path = file('c.ndjson', `${long}\r\n{"n":2}\r\n{"n":3}`);
    const facts = await fileFacts(path);
    expect(facts.lines).toBe(3);
    const chunks = await readAll(ndjsonFileSource(path, facts, { lines: 1000, bytes: 100_000 }).read());
    expect(chunks.map((c) => [c.done, c.items.length, c.last])).toEqual([
      [1, 1, false],
      [3, 2, true],
    ]);
    expect(chunks.flatMap((c) => c.items).map((i) => i.kind === 'item' && (i.value as { n: number }).n)).toEqual([
      1, 2, 3,
    ]);
  });

  it('reads an empty file as nothing', async () => {
    const path = file('d.ndjson', '');
    expect(await fileFacts(path)).toMatchObject({ lines: 0, bytes: 0 });
    expect(await readAll(ndjsonFileSource(path, await fileFacts(path)).read())).toEqual([]);
  });
});

describe('pagedSource', () => {
  /** A paged API by page number (as Thena's platform API pages), three pages of two. */
  const byNumber = (token: string | undefined): Promise<Page> => {
    const n = Number(token ?? 0);
    return Promise.resolve({ items: [n * 2, n * 2 + 1], next: n < 2 ? String(n + 1) : undefined });
  };

  it('takes page numbers as tokens as well as cursors', async () => {
    const chunks = await readAll(pagedSource({ describe: 'numbers', fetchPage: byNumber }).read());
    expect(chunks.map((c) => [c.done, c.resume, c.last])).toEqual([
      [1, '1', false],
      [2, '2', false],
      [3, undefined, true],
    ]);
  });

  it('stops when a page hands back its own cursor, or one from pages before', async () => {
    const pages: Record<string, Page> = {
      first: { items: [1], next: 'a' },
      a: { items: [2], next: 'b' },
      b: { items: [3], next: 'a' },
    };
    const source = pagedSource({ describe: 'loop', fetchPage: (t) => Promise.resolve(pages[t ?? 'first']!) });
    await expect(readAll(source.read())).rejects.toThrow(RepeatedCursorError);
    await expect(readAll(source.read())).rejects.toThrow(
      /page 3 of loop hands back the cursor 'a' that page 2 was read with/,
    );
    const self = pagedSource({ describe: 'self', fetchPage: () => Promise.resolve({ items: [], next: 'same' }) });
    await expect(readAll(self.read({ done: 4, resume: 'same' }))).rejects.toThrow(
      /page 5 of self .* that page 5 was read with/,
    );
  });
});
