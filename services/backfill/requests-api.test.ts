import { afterEach, describe, expect, it } from 'vitest';
import {
  apiRequest,
  fakeThenaApi,
  type FakeApiOptions,
  type FakeThenaApi,
  type PageShape,
} from '../../test/support/fake-thena-api.js';
import { BackfillError, RepeatedCursorError } from './errors.js';
import { politeClient } from './polite.js';
import { maxPageSize, pageUrl, readRequestsPage, requestsApiSource } from './requests-api.js';
import type { Chunk, Position } from './sources.js';

const since = new Date('2024-01-01T00:00:00Z');
const until = new Date('2024-02-01T00:00:00Z');

/** Request `i`, created on day `i % 30` of January 2024. */
const request = (i: number) =>
  apiRequest(String(900_000 + i), new Date(since.getTime() + (i % 30) * 86_400_000).toISOString());

let api: FakeThenaApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function setUp(options: Partial<FakeApiOptions> & { items: unknown[] }, pageSize = 10, key?: string) {
  api = await fakeThenaApi(options);
  const warnings: string[] = [];
  const source = requestsApiSource({
    baseUrl: `${api.url}/`,
    key: key ?? api.key,
    since,
    until,
    pageSize,
    http: politeClient({
      requestsPerSecond: 1000,
      timeoutMs: 5_000,
      keyName: 'THENA_API_KEY',
      sleep: async () => undefined,
    }),
    warn: (line) => warnings.push(line),
  });
  return { api, source, warnings };
}

async function readAll(chunks: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

const values = (chunks: Chunk[]) => chunks.flatMap((c) => c.items.map((i) => (i.kind === 'item' ? i.value : i)));

describe('the requests API source', () => {
  it('follows the pages to the end, with the range in epoch seconds, the limit, the cursor and the key', async () => {
    const items = Array.from({ length: 25 }, (_, i) => request(i));
    const { api, source } = await setUp({ items });
    const chunks = await readAll(source.read());
    expect(values(chunks)).toEqual(items);
    expect(chunks.map((c) => [c.done, c.items.length, c.resume, c.last])).toEqual([
      [1, 10, 'cur_10', false],
      [2, 10, 'cur_20', false],
      [3, 5, undefined, true],
    ]);
    expect(api.calls.map((c) => c.path)).toEqual(Array(3).fill('/rest/v1/requests'));
    expect(api.calls.map((c) => c.query)).toEqual([
      { start_date: '1704067200', end_date: '1706745600', limit: '10' },
      { start_date: '1704067200', end_date: '1706745600', limit: '10', next_cursor: 'cur_10' },
      { start_date: '1704067200', end_date: '1706745600', limit: '10', next_cursor: 'cur_20' },
    ]);
    expect(new Set(api.calls.map((c) => c.authorization))).toEqual(new Set([`Bearer ${api.key}`]));
  });

  it('asks at most 1000 requests a page', async () => {
    const { api, source } = await setUp({ items: [request(1)] }, 5000);
    await readAll(source.read());
    expect(api.calls[0]!.query.limit).toBe(String(maxPageSize));
    expect(pageUrl({ baseUrl: 'https://x.example/api/', since, until, pageSize: 0 }).search).toContain('limit=1');
  });

  it('resumes at the page after a checkpoint, with its cursor; after the last page there is nothing left', async () => {
    const items = Array.from({ length: 25 }, (_, i) => request(i));
    const { api, source } = await setUp({ items });
    const from: Position = { done: 2, resume: 'cur_20' };
    const chunks = await readAll(source.read(from));
    expect(chunks.map((c) => [c.done, c.items.length])).toEqual([[3, 5]]);
    expect(chunks[0]!.items[0]!.where).toBe('page 3, item 1 of 5');
    expect(api.calls.map((c) => c.query.next_cursor)).toEqual(['cur_20']);
    expect(await readAll(source.read({ done: 3 }))).toEqual([]);
  });

  it.each<PageShape>(['data', 'requests', 'items'])('reads pages shaped as %s', async (shape) => {
    const items = Array.from({ length: 12 }, (_, i) => request(i));
    const { source } = await setUp({ items, shape });
    expect(values(await readAll(source.read()))).toEqual(items);
  });

  it('reads a bare array as the only page, and warns when it is as long as a page', async () => {
    const { source, warnings } = await setUp({ items: [request(1), request(2)], shape: 'bare' }, 2);
    const chunks = await readAll(source.read());
    expect(chunks.map((c) => [c.items.length, c.last])).toEqual([[2, true]]);
    expect(warnings).toEqual([expect.stringMatching(/page 1 is full \(2 requests\) but names no next cursor/)]);
  });

  it('stops at a cursor this run already used, before publishing the page that handed it back', async () => {
    const items = Array.from({ length: 50 }, (_, i) => request(i));
    const { api, source } = await setUp({ items, repeatCursorOnPage: 3 });
    const seen: Chunk[] = [];
    const err = await (async () => {
      for await (const chunk of source.read()) seen.push(chunk);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RepeatedCursorError);
    expect((err as Error).message).toMatch(/page 3 .* hands back the cursor 'cur_20' that page 3 was read with/);
    expect((err as Error).message).toMatch(/stopped before publishing page 3; the checkpoint is kept/);
    expect(seen.map((c) => c.done)).toEqual([1, 2]);
    expect(api.calls).toHaveLength(3);
  });

  it('stops on an answer it cannot read, saying what it held', async () => {
    const { api, source } = await setUp({ items: [] });
    api.queue({ status: 200, body: '{"results":[],"cursor":"x"}' });
    await expect(readAll(source.read())).rejects.toThrow(
      /page 1 of the Thena requests API: the answer holds no array under data, requests, items \(its keys: results, cursor\); nothing of it was published/,
    );
    api.queue({ status: 200, body: '<html>maintenance</html>' });
    await expect(readAll(source.read())).rejects.toThrow(/the answer is not JSON \(<html>maintenance<\/html>\)/);
  });

  it('names THENA_API_KEY when the key is refused', async () => {
    const { source } = await setUp({ items: [request(1)] }, 10, 'wrong-key');
    await expect(readAll(source.read())).rejects.toThrow(/HTTP 401, the API refused the key in THENA_API_KEY/);
  });

  it('says a refused cursor may have gone stale, and how to start over', async () => {
    const { source } = await setUp({ items: [request(1)] });
    const err = await readAll(source.read({ done: 4, resume: 'expired' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackfillError);
    expect((err as Error).message).toMatch(
      /HTTP 400.*invalid cursor.*refused the cursor the checkpoint resumes from.*--again/,
    );
  });
});

describe('readRequestsPage', () => {
  const a = [{ requestId: '1' }];
  it.each([
    ['a bare array', a, { items: a, next: undefined }],
    ['data and next_cursor', { data: a, next_cursor: 'c2' }, { items: a, next: 'c2' }],
    ['requests and nextCursor', { requests: a, nextCursor: 'c2' }, { items: a, next: 'c2' }],
    ['items and pagination.next_cursor', { items: a, pagination: { next_cursor: 'c2' } }, { items: a, next: 'c2' }],
    ['a number cursor', { data: a, next_cursor: 7 }, { items: a, next: '7' }],
    ['a null cursor', { data: a, next_cursor: null }, { items: a, next: undefined }],
    ['an empty cursor', { data: a, nextCursor: '' }, { items: a, next: undefined }],
    ['no cursor', { data: a, total: 1 }, { items: a, next: undefined }],
    ['the same cursor twice', { data: a, next_cursor: 'c', nextCursor: 'c' }, { items: a, next: 'c' }],
  ])('%s', (_, body, expected) => {
    expect(readRequestsPage(body)).toEqual(expected);
  });

  it.each([
    ['no known array', { results: a }, /no array under data, requests, items \(its keys: results\)/],
    ['two arrays', { data: a, items: a }, /arrays under data and items/],
    [
      'two different cursors',
      { data: a, next_cursor: 'a', nextCursor: 'b' },
      /cursors that differ under next_cursor and nextCursor/,
    ],
    ['an object cursor', { data: a, next_cursor: { id: 1 } }, /next_cursor holds \{"id":1\}, not a cursor/],
    ['a string', 'ok', /the answer is "ok"/],
  ])('refuses %s', (_, body, message) => {
    const read = readRequestsPage(body);
    expect('problem' in read && read.problem).toMatch(message);
  });
});
