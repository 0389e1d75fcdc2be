import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backfillKey, type BackfillRecord } from '../../schemas/control.js';
import type { DeadLetterRecord } from '../../schemas/dead-letter.schema.js';
import type { RequestEventEnvelope } from '../../schemas/request-event.schema.js';
import type { OutgoingMessage } from '../../schemas/topics.js';
import { apiRequest, fakeThenaApi, type FakeThenaApi } from '../../test/support/fake-thena-api.js';
import { backfill, type BackfillOptions, type CheckpointStore, type Publisher } from './backfill.js';
import { RepeatedCursorError } from './errors.js';
import { politeClient } from './polite.js';
import { requestsApiSource } from './requests-api.js';
import { fileFacts, ndjsonFileSource } from './sources.js';

const to = { events: 'test.events', deadLetter: 'test.dlq' };
const since = new Date('2024-01-01T00:00:00Z');
const until = new Date('2024-02-01T00:00:00Z');
const day = (i: number) => new Date(since.getTime() + (i % 30) * 86_400_000).toISOString();
const request = (i: number, extra: Record<string, unknown> = {}) => apiRequest(String(700_000 + i), day(i), extra);

/** Publishes into memory; with `failAt`, the publish of that number (1-based) fails, as a kill would. */
function memoryPublisher(failAt?: number): Publisher & { sent: OutgoingMessage[]; log: string[] } {
  const sent: OutgoingMessage[] = [];
  const log: string[] = [];
  let n = 0;
  return {
    sent,
    log,
    publish: async (messages) => {
      if (++n === failAt) throw new Error('killed');
      sent.push(...messages);
      log.push(`publish ${messages.length}`);
    },
  };
}

function memoryCheckpoints(log: string[] = []): CheckpointStore & { records: Map<string, BackfillRecord> } {
  const records = new Map<string, BackfillRecord>();
  return {
    records,
    get: async (key) => structuredClone(records.get(key)),
    put: async (key, record) => {
      records.set(key, structuredClone(record));
      log.push(`checkpoint ${record.unit} ${record.done} ${record.phase}`);
    },
  };
}

const events = (sent: OutgoingMessage[]) =>
  sent
    .filter((m) => m.topic === to.events)
    .map((m) => ({ key: m.key, ...(JSON.parse(m.value) as RequestEventEnvelope) }));
const deadLetters = (sent: OutgoingMessage[]) =>
  sent.filter((m) => m.topic === to.deadLetter).map((m) => JSON.parse(m.value) as DeadLetterRecord);

let api: FakeThenaApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const key = backfillKey('acme', `api/${since.toISOString()}/${until.toISOString()}`);

/** Options for a backfill of the fake API, 10 requests a page, into memory. */
function overApi(api: FakeThenaApi, over: Partial<BackfillOptions> = {}): BackfillOptions & { said: string[] } {
  const said: string[] = [];
  const http = politeClient({ requestsPerSecond: 1000, timeoutMs: 5_000, keyName: 'THENA_API_KEY' });
  return {
    key,
    workspace: 'acme',
    again: false,
    source: () => requestsApiSource({ baseUrl: api.url, key: api.key, since, until, pageSize: 10, http }),
    publisher: memoryPublisher(),
    checkpoints: memoryCheckpoints(),
    bodyLimitBytes: 4 * 1024 * 1024,
    to,
    say: (line) => said.push(line),
    said,
    ...over,
  };
}

describe('backfill from the API', () => {
  it('publishes each request as a BACKFILL event keyed by its requestId; a malformed item is dead-lettered, the rest published', async () => {
    const good = Array.from({ length: 15 }, (_, i) => request(i));
    const malformed = [
      'oops',
      { status: 'OPEN', createdAt: day(1) },
      request(99, { createdAt: 'yesterday', updatedAt: undefined }),
    ];
    api = await fakeThenaApi({ items: [...good.slice(0, 12), ...malformed, ...good.slice(12)] });
    const publisher = memoryPublisher();
    const checkpoints = memoryCheckpoints();
    const report = await backfill(overApi(api, { publisher, checkpoints }));

    const published = events(publisher.sent);
    expect(published.map((e) => e.key)).toEqual(good.map((r) => r.requestId));
    expect(published[0]).toMatchObject({
      schema: 'thena.request-event.v1',
      action: 'BACKFILL',
      requestId: '700000',
      workspace: 'acme',
      payload: { action: 'BACKFILL', request: good[0] },
    });
    expect(deadLetters(publisher.sent).map((d) => [d.source, d.reason, d.workspace])).toEqual([
      ['backfill', 'not_an_object', 'acme'],
      ['backfill', 'missing_or_invalid_keys', 'acme'],
      ['backfill', 'no_source_time', 'acme'],
    ]);
    const [notObject, noId, noTime] = deadLetters(publisher.sent);
    expect(notObject!.rawBody).toBe('"oops"');
    expect(notObject!.details[0]!.message).toMatch(
      /^read from page 2, item 3 of 8, the Thena requests API, 2024-01-01/,
    );
    expect(noId!.details).toContainEqual(expect.objectContaining({ path: '/request/requestId' }));
    expect(JSON.parse(noTime!.rawBody)).toEqual({ action: 'BACKFILL', request: malformed[2] });
    expect(noTime!.details[1]!.message).toMatch(/neither updatedAt \(absent\) nor createdAt \("yesterday"\)/);

    expect(report).toMatchObject({ outcome: 'done', run: { chunks: 2, read: 18, published: 15, deadLettered: 3 } });
    expect(checkpoints.records.get(key)).toMatchObject({
      kind: 'backfill',
      workspace: 'acme',
      phase: 'done',
      unit: 'page',
      done: 2,
      until: until.toISOString(),
      read: 18,
      published: 15,
      deadLettered: 3,
    });
  });

  it('moves the checkpoint past a page only after its events were acknowledged', async () => {
    api = await fakeThenaApi({ items: Array.from({ length: 25 }, (_, i) => request(i)) });
    const publisher = memoryPublisher();
    await backfill(overApi(api, { publisher, checkpoints: memoryCheckpoints(publisher.log) }));
    expect(publisher.log).toEqual([
      'publish 10',
      'checkpoint page 1 running',
      'publish 10',
      'checkpoint page 2 running',
      'publish 5',
      'checkpoint page 3 done',
    ]);
  });

  it('gives the same eventIds when run twice (--again), from the API or from a file', async () => {
    const items = Array.from({ length: 12 }, (_, i) => request(i));
    api = await fakeThenaApi({ items });
    const checkpoints = memoryCheckpoints();
    const first = memoryPublisher();
    const second = memoryPublisher();
    await backfill(overApi(api, { publisher: first, checkpoints }));
    await backfill(overApi(api, { publisher: second, checkpoints, again: true }));
    const ids = (p: { sent: OutgoingMessage[] }) => events(p.sent).map((e) => e.eventId);
    expect(ids(second)).toEqual(ids(first));
    expect(new Set(ids(first)).size).toBe(12);

    const path = join(mkdtempSync(join(tmpdir(), 'backfill-')), 'same.ndjson');
    writeFileSync(path, items.map((i) => JSON.stringify(i, null, 0)).join('\n'));
    const facts = await fileFacts(path);
    const fromFile = memoryPublisher();
    await backfill({ ...overApi(api), key: 'file', publisher: fromFile, source: () => ndjsonFileSource(path, facts) });
    expect(ids(fromFile)).toEqual(ids(first));
  });

  it('does not run a backfill that completed again, unless --again', async () => {
    api = await fakeThenaApi({ items: Array.from({ length: 5 }, (_, i) => request(i)) });
    const checkpoints = memoryCheckpoints();
    await backfill(overApi(api, { checkpoints }));
    const calls = api.calls.length;
    const publisher = memoryPublisher();
    const report = await backfill(overApi(api, { checkpoints, publisher }));
    expect(report).toMatchObject({ outcome: 'already done', record: { phase: 'done', published: 5 } });
    expect(publisher.sent).toEqual([]);
    expect(api.calls).toHaveLength(calls);

    const again = await backfill(overApi(api, { checkpoints, publisher, again: true }));
    expect(again).toMatchObject({ outcome: 'done', run: { published: 5 } });
    expect(events(publisher.sent)).toHaveLength(5);
  });

  it('resumes after a kill at the first page not checkpointed, and says so', async () => {
    const items = Array.from({ length: 45 }, (_, i) => request(i));
    api = await fakeThenaApi({ items });
    const checkpoints = memoryCheckpoints();
    const killed = memoryPublisher(3);
    await expect(backfill(overApi(api, { checkpoints, publisher: killed }))).rejects.toThrow('killed');
    expect(checkpoints.records.get(key)).toMatchObject({ phase: 'running', done: 2, resume: 'cur_20', published: 20 });

    const callsBefore = api.calls.length;
    const resumed = overApi(api, { checkpoints, publisher: memoryPublisher() });
    const report = await backfill(resumed);
    expect(resumed.said).toEqual(['resuming at page 3 (20 published before)']);
    expect(api.calls[callsBefore]!.query.next_cursor).toBe('cur_20');
    const published = events((resumed.publisher as ReturnType<typeof memoryPublisher>).sent);
    expect(published.map((e) => e.key)).toEqual(items.slice(20).map((r) => r.requestId));
    expect(report).toMatchObject({ outcome: 'done', resumedAt: 3, run: { chunks: 3, published: 25 } });
    expect(checkpoints.records.get(key)).toMatchObject({ phase: 'done', done: 5, published: 45 });
  });

  it('stops at a repeated cursor with the checkpoint at the page before it', async () => {
    api = await fakeThenaApi({ items: Array.from({ length: 60 }, (_, i) => request(i)), repeatCursorOnPage: 4 });
    const checkpoints = memoryCheckpoints();
    await expect(backfill(overApi(api, { checkpoints }))).rejects.toThrow(RepeatedCursorError);
    expect(checkpoints.records.get(key)).toMatchObject({ phase: 'running', done: 3, resume: 'cur_30' });
  });

  it('dead-letters a body over the webhook limit, keeping its start', async () => {
    api = await fakeThenaApi({ items: [request(1, { description: 'x'.repeat(5000) }), request(2)] });
    const publisher = memoryPublisher();
    await backfill(overApi(api, { publisher, bodyLimitBytes: 2048 }));
    expect(events(publisher.sent).map((e) => e.requestId)).toEqual(['700002']);
    const [tooLarge] = deadLetters(publisher.sent);
    expect(tooLarge).toMatchObject({ reason: 'too_large' });
    expect(tooLarge!.details[1]!.message).toMatch(/over INGRESS_BODY_LIMIT_BYTES \(2048\)/);
  });
});

describe('backfill from an NDJSON file', () => {
  const lines = [
    JSON.stringify(request(1)),
    '',
    '{"requestId": "700002", broken',
    '[1, 2, 3]',
    JSON.stringify(request(3, { updatedAt: null, createdAt: null })),
    '   ',
    JSON.stringify(request(4)),
    JSON.stringify({ ...request(5), requestId: 700005 }),
  ];

  async function overFile(over: Partial<BackfillOptions> = {}) {
    const path = join(mkdtempSync(join(tmpdir(), 'backfill-')), 'export.ndjson');
    writeFileSync(path, lines.join('\n') + '\n');
    const facts = await fileFacts(path);
    const said: string[] = [];
    const options: BackfillOptions = {
      key: backfillKey('default', `file/${facts.sha256}`),
      workspace: 'default',
      again: false,
      source: () => ndjsonFileSource(path, facts, { lines: 3, bytes: 1 << 20 }),
      publisher: memoryPublisher(),
      checkpoints: memoryCheckpoints(),
      bodyLimitBytes: 1 << 20,
      to,
      say: (line) => said.push(line),
      ...over,
    };
    return { options, said, facts };
  }

  it('publishes the good lines as written, skips blank ones and dead-letters the bad, with their line numbers', async () => {
    const { options } = await overFile();
    const report = await backfill(options);
    const { sent } = options.publisher as ReturnType<typeof memoryPublisher>;
    expect(events(sent).map((e) => [e.key, e.workspace])).toEqual([
      ['700001', undefined],
      ['700004', undefined],
      ['700005', undefined],
    ]);
    // The line goes into the body as written: a number requestId stays a number in the payload.
    expect(events(sent)[2]!.payload.request).toMatchObject({ requestId: 700005 });
    expect(deadLetters(sent).map((d) => [d.reason, d.details[0]!.message.split(',')[0]])).toEqual([
      ['invalid_json', 'read from line 3 of export.ndjson'],
      ['not_an_object', 'read from line 4 of export.ndjson'],
      ['no_source_time', 'read from line 5 of export.ndjson'],
    ]);
    expect(deadLetters(sent)[0]!.rawBody).toBe('{"requestId": "700002", broken');
    expect(report).toMatchObject({ outcome: 'done', run: { read: 6, published: 3, deadLettered: 3 } });
  });

  it('resumes at the first line not checkpointed', async () => {
    const checkpoints = memoryCheckpoints();
    const first = await overFile({ checkpoints, publisher: memoryPublisher(2) });
    await expect(backfill(first.options)).rejects.toThrow('killed');
    const { options, said } = await overFile({ checkpoints });
    const report = await backfill(options);
    expect(said).toEqual(['resuming at line 4 (1 published before)']);
    const { sent } = options.publisher as ReturnType<typeof memoryPublisher>;
    expect(events(sent).map((e) => e.key)).toEqual(['700004', '700005']);
    expect(report).toMatchObject({ resumedAt: 4, record: { phase: 'done', unit: 'line', done: 8, published: 3 } });
  });
});
