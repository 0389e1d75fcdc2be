// `npm run backfill` against a real broker and the BigQuery emulator, run as a child process the way
// an operator runs it, reading the fake Thena API; the broker, consumers and sinks are the file's own
// (test/support/backfill-harness.ts). Three cases:
// 1. a backfill killed with SIGKILL after a few slow pages, then run again: it says it resumes, and
//    every request of the API is in request_latest once, no event twice in request_history, in both
//    sinks;
// 2. a backfill overlapping live webhooks, some newer than the API's snapshot and some older:
//    request_latest holds the newest state by updatedAt in both sinks, and a second run with
//    --again changes nothing in the views;
// 3. a platform backfill (--source platform) killed after some pages and resumed, while the fake
//    API adds tickets at the front of its list between pages (each also sent live, as Thena would),
//    answers 429 and 503 once, and holds a malformed item: every ticket once in ticket_latest in
//    both sinks, none missed, no event twice in ticket_history, and a live event newer than a
//    ticket's snapshot still wins (one older does not).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../schemas/topics.js';
import { snapshotBody } from '../../services/backfill/platform-events.js';
import { classify, classifyPlatform, eventEnvelope, platformEnvelope } from '../../services/ingress/index.js';
import { webhook } from '../fixtures/webhooks.js';
import { BackfillHarness } from '../support/backfill-harness.js';
import { apiRequest, apiTicket, fakeThenaApi } from '../support/fake-thena-api.js';
import { waitFor } from '../support/wait.js';

/** The eventId a backfill gives a request object: the webhook rule over {"action":"BACKFILL","request":…}. */
function backfillEventId(item: Record<string, unknown>): string {
  const result = classify(JSON.stringify({ action: 'BACKFILL', request: item }));
  if (result.kind !== 'accepted') throw new Error(`fixture rejected: ${JSON.stringify(result.details)}`);
  return result.eventId;
}

const sorted = (rows: Record<string, unknown>[], ...columns: string[]) =>
  rows.map((r) => columns.map((c) => String(r[c])).join(' ')).sort();

describe('npm run backfill', () => {
  const h = new BackfillHarness();
  beforeAll(() => h.start(), 300_000);
  afterAll(() => h.close());

  it('resumes after a SIGKILL; every request lands in request_latest once and no event twice', async () => {
    const items = Array.from({ length: 60 }, (_, i) =>
      apiRequest(String(810_001 + i), new Date(Date.parse('2024-01-01T00:00:00Z') + i * 3_600_000).toISOString()),
    );
    const api = await fakeThenaApi({ items, delayMs: 300 });
    try {
      const args = ['--since', '2024-01-01', '--until', '2024-02-01', '--limit', '5'];
      await h.killAfterCalls(api, args, 5);
      const callsOfFirst = api.calls.length;
      expect(callsOfFirst).toBeLessThan(12);

      const output = await h.backfillToEnd(api, args);
      const resumed = /resuming at page (\d+) \(([\d,]+) published before\)/.exec(output);
      expect(resumed, output).not.toBeNull();
      expect(Number(resumed![1])).toBeGreaterThanOrEqual(5);
      expect(api.calls[callsOfFirst]!.query.next_cursor).toBe(`cur_${(Number(resumed![1]) - 1) * 5}`);
      expect(output).toMatch(/complete in/);

      const expected = items.map((r) => `${String(r.requestId)} ${backfillEventId(r)}`).sort();
      const latest = "SELECT request_id, event_id FROM request_latest WHERE request_id LIKE '81%'";
      await waitFor(
        'every request in request_latest of both sinks',
        async () => {
          const rows = await h.query(latest);
          return rows.lake.length >= items.length && rows.bigquery.length >= items.length;
        },
        120_000,
        1000,
      );
      const rows = await h.query(latest);
      expect(sorted(rows.lake, 'request_id', 'event_id')).toEqual(expected);
      expect(sorted(rows.bigquery, 'request_id', 'event_id')).toEqual(expected);

      const history = await h.query("SELECT request_id, event_id FROM request_history WHERE request_id LIKE '81%'");
      expect(sorted(history.lake, 'request_id', 'event_id')).toEqual(expected);
      expect(sorted(history.bigquery, 'request_id', 'event_id')).toEqual(expected);
    } finally {
      await api.close();
    }
  }, 300_000);

  it('keeps the newest state by updatedAt against live webhooks, and --again changes nothing', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => String(820_001 + i));
    const snapshotAt = Date.parse('2024-03-10T12:00:00Z');
    const snapshots = ids.map((id) =>
      apiRequest(id, '2024-03-10T00:00:00.000Z', { status: 'SNAPSHOT', updatedAt: new Date(snapshotAt).toISOString() }),
    );
    // The first three changed after the snapshot was taken, the next three before it; the last
    // at the snapshot's very time, where the webhook wins though the snapshot arrives later.
    const webhookState = (i: number) => (i < 3 ? 'WEBHOOK_NEWER' : i < 6 ? 'WEBHOOK_OLDER' : 'WEBHOOK_SAME_TIME');
    const webhooks = ids.map((id, i) =>
      webhook({
        requestId: id,
        status: webhookState(i),
        createdAt: '2024-03-10T00:00:00.000Z',
        updatedAt: new Date(snapshotAt + (i < 3 ? 1 : i < 6 ? -1 : 0) * 3_600_000).toISOString(),
      }),
    );
    const publishWebhooks = async (bodies: typeof webhooks) => {
      const messages = bodies.map((body) => {
        const result = classify(JSON.stringify(body));
        if (result.kind !== 'accepted') throw new Error('fixture rejected');
        return { key: result.requestId, value: eventEnvelope(result, new Date()) };
      });
      await h.producer.send({ topic: topics.requestEvents.name, acks: -1, messages });
    };
    const webhookEventId = (i: number) => (classify(JSON.stringify(webhooks[i])) as { eventId: string }).eventId;

    const api = await fakeThenaApi({ items: snapshots });
    try {
      const args = ['--since', '2024-03-10', '--until', '2024-03-11'];
      await publishWebhooks([webhooks[0]!, webhooks[3]!, webhooks[4]!, webhooks[6]!]);
      expect(await h.backfillToEnd(api, args)).toMatch(/published:\s+7 events/);
      await publishWebhooks([webhooks[1]!, webhooks[2]!, webhooks[5]!]);

      const expected = ids
        .map((id, i) =>
          i < 3 || i === 6
            ? `${id} ${webhookState(i)} ${webhookEventId(i)}`
            : `${id} SNAPSHOT ${backfillEventId(snapshots[i]!)}`,
        )
        .sort();
      const latest = "SELECT request_id, status, event_id FROM request_latest WHERE request_id LIKE '82%'";
      await h.caughtUp();
      const before = await h.query(latest);
      expect(sorted(before.lake, 'request_id', 'status', 'event_id')).toEqual(expected);
      expect(sorted(before.bigquery, 'request_id', 'status', 'event_id')).toEqual(expected);
      const history = "SELECT request_id, event_id, status FROM request_history WHERE request_id LIKE '82%'";
      const historyBefore = await h.query(history);
      expect(historyBefore.lake).toHaveLength(14);

      // Run again without --again: it already completed, so it publishes nothing.
      expect(await h.backfillToEnd(api, args)).toMatch(/already completed at .*nothing published/s);
      const again = await h.backfillToEnd(api, [...args, '--again']);
      expect(again).toMatch(/published:\s+7 events/);
      await h.caughtUp();
      const after = await h.query(latest);
      expect(sorted(after.lake, 'request_id', 'status', 'event_id')).toEqual(expected);
      expect(sorted(after.bigquery, 'request_id', 'status', 'event_id')).toEqual(expected);
      const historyAfter = await h.query(history);
      for (const sink of ['lake', 'bigquery'] as const) {
        expect(sorted(historyAfter[sink], 'request_id', 'event_id', 'status')).toEqual(
          sorted(historyBefore[sink], 'request_id', 'event_id', 'status'),
        );
      }
    } finally {
      await api.close();
    }
  }, 300_000);

  it('--source platform: resumes after a SIGKILL while tickets are added between pages; none missed, a newer live event wins', async () => {
    const at = (i: number) => new Date(Date.parse('2024-05-01T00:00:00Z') + i * 3_600_000).toISOString();
    // Newest first, as a list endpoint answers; a malformed item (no id) among them.
    const tickets: unknown[] = Array.from({ length: 40 }, (_, i) => apiTicket(`PT${40 - i}`, at(40 - i)));
    tickets.splice(12, 0, { title: 'no id', updatedAt: at(3) });
    const live = (body: Record<string, unknown>) => {
      const result = classifyPlatform(JSON.stringify(body));
      if (result.kind !== 'accepted') throw new Error(`fixture rejected: ${JSON.stringify(result.details)}`);
      return { key: result.entityId, value: platformEnvelope(result, new Date(), 'default') };
    };
    const liveEvent = (eventId: string, eventType: string, ticket: Record<string, unknown>, timestamp: string) =>
      live({
        eventId,
        eventType,
        timestamp,
        orgId: 'default',
        actor: { id: 'agent-1', type: 'AGENT' },
        payload: { ticket },
      });
    const send = (messages: { key: string; value: string }[]) =>
      h.producer.send({ topic: topics.platformEvents.name, acks: -1, messages });

    // PT5 changes after its snapshot (a live event an hour newer); PT6's live event is an hour older.
    const pt = (n: number) => tickets.find((t) => (t as { id?: string }).id === `PT${n}`) as Record<string, unknown>;
    const newer = new Date(Date.parse(pt(5).updatedAt as string) + 3_600_000).toISOString();
    const older = new Date(Date.parse(pt(6).updatedAt as string) - 3_600_000).toISOString();
    await send([
      liveEvent('live-pt5', 'ticket:updated', { ...pt(5), statusName: 'Closed', updatedAt: newer }, newer),
      liveEvent('live-pt6', 'ticket:updated', { ...pt(6), statusName: 'Stale', updatedAt: older }, older),
    ]);

    // Before pages 3 and 6 of each run, a new ticket goes to the front of the list (and is sent live).
    const added: Record<string, unknown>[] = [];
    const api = await fakeThenaApi({
      items: [],
      tickets,
      delayMs: 300,
      beforeTicketsPage: (page, list) => {
        if (page !== 3 && page !== 6) return;
        const ticket = apiTicket(`PN${added.length + 1}`, at(100 + added.length));
        added.push(ticket);
        list.unshift(ticket);
        void send([liveEvent(`live-${String(ticket.id)}`, 'ticket:created', ticket, ticket.createdAt)]);
      },
    });
    try {
      const args = ['--source', 'platform', '--since', '2024-05-01', '--limit', '5'];
      await h.killAfterCalls(api, args, 4);
      expect(api.calls.length).toBeLessThan(9);
      api.queue({ status: 429, headers: { 'retry-after': '1' } }, { status: 503 });
      const output = await h.backfillToEnd(api, args);
      expect(output).toMatch(/resuming at page \d+/);
      expect(output).toMatch(/429/);
      expect(output).toMatch(/published:\s+\d+ events on thena\.platform-events\.v1/);
      expect(output).toMatch(
        /in all, with the runs before: \d+ pages, [\d,]+ tickets read, [\d,]+ published, 1 dead-lettered/,
      );
      expect(added.length).toBeGreaterThanOrEqual(2);

      // The fake's list is `tickets` itself, added ones included: every ticket with an id, once.
      const all = tickets.filter((t) => (t as { id?: string }).id !== undefined) as Record<string, unknown>[];
      expect(added.every((t) => all.includes(t))).toBe(true);
      const expectedIds = all.map((t) => String(t.id)).sort();
      const latest = "SELECT ticket_id, status, event_id FROM ticket_latest WHERE ticket_id LIKE 'P%'";
      await waitFor(
        'every ticket in ticket_latest of both sinks',
        async () => {
          const rows = await h.query(latest);
          return rows.lake.length >= all.length && rows.bigquery.length >= all.length;
        },
        120_000,
        1000,
      );
      await h.caughtUp(topics.platformEvents.name);
      const rows = await h.query(latest);
      for (const sink of ['lake', 'bigquery'] as const) {
        expect(sorted(rows[sink], 'ticket_id'), sink).toEqual(expectedIds);
        const state = new Map(rows[sink].map((r) => [String(r.ticket_id), r]));
        expect(state.get('PT5')).toMatchObject({ status: 'Closed', event_id: 'live-pt5' });
        const snapshotOf6 = JSON.parse(snapshotBody(pt(6), 'default')).eventId as string;
        expect(state.get('PT6')).toMatchObject({ status: 'Open', event_id: snapshotOf6 });
      }
      const history = await h.query(
        "SELECT event_id, count(*) AS n FROM ticket_history WHERE ticket_id LIKE 'P%' GROUP BY event_id HAVING count(*) > 1",
      );
      expect(history.lake).toEqual([]);
      expect(history.bigquery).toEqual([]);
    } finally {
      await api.close();
    }
  }, 300_000);
});
