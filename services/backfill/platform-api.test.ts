import { afterEach, describe, expect, it } from 'vitest';
import { apiTicket, fakeThenaApi, type FakeThenaApi } from '../../test/support/fake-thena-api.js';
import { platformBody, platformMessage } from '../../test/fixtures/platform-events.js';
import { ticketEvents } from '../../tables/catalogue.js';
import { flattened } from '../../test/support/flatten.js';
import { BackfillError } from './errors.js';
import { politeClient } from './polite.js';
import { maxTicketPageSize, platformApiSource, readTicketsPage, ticketsPageUrl } from './platform-api.js';
import { backfillActor, platformOutcomeOf, snapshotBody, ticketSnapshotType } from './platform-events.js';
import type { Chunk, SourceItem } from './sources.js';

const since = new Date('2024-01-01T00:00:00Z');
const ticket = (i: number, extra: Record<string, unknown> = {}) =>
  apiTicket(`T${i}`, new Date(since.getTime() + i * 3_600_000).toISOString(), extra);

let api: FakeThenaApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const http = () =>
  politeClient({ requestsPerSecond: 1000, timeoutMs: 5_000, keyName: 'THENA_API_KEY', sleep: async () => undefined });

async function readAll(chunks: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}
const ids = (chunks: Chunk[]) =>
  chunks.flatMap((c) => c.items.map((i) => (i.kind === 'item' ? (i.value as { id: string }).id : i.kind)));

describe('the platform API source (tickets)', () => {
  it('reads the numbered pages to the one that says no more, with the key, and resumes at a page', async () => {
    api = await fakeThenaApi({ items: [], tickets: Array.from({ length: 25 }, (_, i) => ticket(i)) });
    const source = platformApiSource({ baseUrl: api.url, key: api.key, since, pageSize: 10, http: http() });
    const chunks = await readAll(source.read());
    expect(chunks.map((c) => [c.done, c.items.length, c.resume, c.last])).toEqual([
      [1, 10, '2', false],
      [2, 10, '3', false],
      [3, 5, undefined, true],
    ]);
    expect(api.calls.map((c) => [c.path, c.query.page, c.query.limit, c.apiKey, c.authorization])).toEqual(
      [1, 2, 3].map((p) => ['/v1/tickets', String(p), '10', api!.key, undefined]),
    );
    const resumed = await readAll(source.read({ done: 1, resume: '2' }));
    expect(resumed.map((c) => c.done)).toEqual([2, 3]);
    expect(ids(resumed)).toEqual(Array.from({ length: 15 }, (_, i) => `T${i + 10}`));
  });

  it('leaves out tickets updated before --since, but keeps items it cannot date for the backfill to dead-letter', async () => {
    const old = apiTicket('OLD', '2023-06-01T00:00:00.000Z');
    api = await fakeThenaApi({ items: [], tickets: [ticket(1), old, 'not a ticket', { id: 'X' }] });
    const source = platformApiSource({ baseUrl: api.url, key: api.key, since, pageSize: 10, http: http() });
    const values = (await readAll(source.read())).flatMap((c) => c.items.map((i) => (i as { value: unknown }).value));
    expect(values).toEqual([ticket(1), 'not a ticket', { id: 'X' }]);
  });

  it.each([
    ['a bare array, full', Array(3).fill({}), 3, { items: 3, last: false }],
    ['a bare array, short', Array(2).fill({}), 3, { items: 2, last: true }],
    ['data with meta.hasMore', { data: [{}], meta: { hasMore: true } }, 3, { items: 1, last: false }],
    ['tickets with hasMore false', { tickets: Array(3).fill({}), hasMore: false }, 3, { items: 3, last: true }],
    ['items with meta.totalPages', { items: Array(3).fill({}), meta: { totalPages: 2 } }, 3, { items: 3, last: true }],
  ])('reads %s', (_name, body, asked, expected) => {
    const read = readTicketsPage(body, 2, asked);
    expect('problem' in read ? read : { items: read.items.length, last: read.last }).toEqual(expected);
  });

  it('stops, naming what it found and this file, on an answer of no shape it knows', async () => {
    expect(readTicketsPage({ results: [] }, 1, 10)).toEqual({
      problem: 'the answer holds no array under data, tickets, items (its keys: results)',
    });
    expect(readTicketsPage({ data: [], items: [] }, 1, 10)).toEqual({
      problem: 'the answer holds arrays under data and items',
    });
    api = await fakeThenaApi({ items: [] });
    api.queue({ status: 200, body: '{"results":[]}' });
    const source = platformApiSource({ baseUrl: api.url, key: api.key, since, pageSize: 10, http: http() });
    await expect(readAll(source.read())).rejects.toThrow(BackfillError);
    api.queue({ status: 200, body: '<html>' });
    await expect(readAll(source.read())).rejects.toThrow(
      /page 1 of the Thena platform API \(tickets\): the answer is not JSON.*platform-api\.ts/,
    );
  });

  it('stops at a refused key, naming THENA_API_KEY and not its value', async () => {
    api = await fakeThenaApi({ items: [], tickets: [ticket(1)] });
    const source = platformApiSource({ baseUrl: api.url, key: 'wrong-key-value', since, pageSize: 10, http: http() });
    const failed = readAll(source.read());
    await expect(failed).rejects.toThrow(/THENA_API_KEY/);
    await expect(failed).rejects.not.toThrow(/wrong-key-value/);
  });

  it(`asks at most ${maxTicketPageSize} tickets a page`, () => {
    expect(ticketsPageUrl({ baseUrl: 'https://x.example/', pageSize: 7 }, 3).toString()).toBe(
      'https://x.example/v1/tickets?page=3&limit=7',
    );
  });
});

describe('a ticket as a platform event', () => {
  const ctx = {
    workspace: 'acme',
    receivedAt: new Date('2024-03-01T00:00:00Z'),
    to: { events: 'test.platform', deadLetter: 'test.dlq' },
    bodyLimitBytes: 1024 * 1024,
    from: 'the Thena platform API (tickets)',
  };
  const item = (value: unknown): SourceItem => ({ kind: 'item', value, where: 'page 1, item 1 of 1' });

  it('is a ticket:snapshot at the ticket’s updatedAt, keyed by the ticket, with an eventId of its content', () => {
    const t = ticket(1, { priorityName: 'High' });
    const out = platformOutcomeOf(item(t), ctx);
    expect(out.kind).toBe('event');
    if (out.kind !== 'event') return;
    expect(out.message.topic).toBe('test.platform');
    expect(out.message.key).toBe('T1');
    expect(out.eventId).toMatch(/^backfill-[0-9a-f]{32}$/);
    // The same ticket, members in another order: the same event; changed: another.
    const reordered = Object.fromEntries(Object.entries(t).reverse());
    expect((platformOutcomeOf(item(reordered), ctx) as { eventId: string }).eventId).toBe(out.eventId);
    expect((platformOutcomeOf(item({ ...t, statusName: 'Closed' }), ctx) as { eventId: string }).eventId).not.toBe(
      out.eventId,
    );
    const message = { topic: 'thena.platform-events.v1', partition: 0, offset: '0', value: out.message.value };
    const [row] = flattened(ticketEvents.consumer.flatten(message)).rows;
    expect(row).toMatchObject({
      workspace: 'acme',
      event_type: ticketSnapshotType,
      ticket_id: 'T1',
      event_time: BigInt(Date.parse(t.updatedAt)) * 1000n,
      priority: 'High',
      actor_id: backfillActor.id,
      payload_drift: [], // judged in the webhook's shape: a documented event
    });
  });

  it.each([
    ['not an object', 'a string', 'not_an_object'],
    ['no id', { title: 'x', updatedAt: '2024-01-02T00:00:00Z' }, 'no_ticket_id'],
    ['no time', { id: 'T9', updatedAt: 'yesterday' }, 'no_source_time'],
  ])('dead-letters a ticket with %s, saying where it was read', (_name, value, reason) => {
    const out = platformOutcomeOf(item(value), ctx);
    expect(out).toMatchObject({ kind: 'dead-letter', reason });
    expect(JSON.parse(out.message.value).details[0].message).toContain('page 1, item 1 of 1');
  });

  it('is judged by the drift check as a platform webhook would be', () => {
    const body = JSON.parse(snapshotBody(ticket(2, { isEscalated: 'yes' }), 'acme'));
    expect(platformBody('ticket:snapshot', body.payload, body)).toBeDefined();
    const [row] = flattened(ticketEvents.consumer.flatten(platformMessage(body))).rows;
    expect((row!.payload_drift as string[]).map((e) => JSON.parse(e)[1])).toEqual(['payload.ticket.isEscalated']);
  });
});
