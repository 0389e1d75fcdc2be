// Thena platform events end to end: posted to the real ingress, on the real broker's platform topic,
// flattened by the ticket consumers into the lake and the BigQuery emulator. A delivery repeated
// three times is one fact, an unknown event type is kept, and every accepted event's facts are in
// the views of both sinks exactly once.
import { describe, expect, inject, it } from 'vitest';
import type { BigQuery } from '@google-cloud/bigquery';
import { topics } from '../../schemas/topics.js';
import { bigQuerySink, migrate } from '../../services/bigquery/index.js';
import { classifyPlatform } from '../../services/ingress/platform.js';
import { platformEnvelope } from '../../services/ingress/platform-envelope.js';
import { openLake } from '../../services/lake/duckdb.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { ticketComments, ticketEvents } from '../../tables/catalogue.js';
import { comment, platformBody, ticket } from '../fixtures/platform-events.js';
import { factsInViews, factsOfEnvelopes, platformFactViews } from '../support/accounting.js';
import { startIngress, testToken } from '../support/ingress.js';
import { lakeFixture } from '../support/lake.js';
import { uniqueName, waitFor } from '../support/wait.js';
import { testWriteClient } from '../support/bigquery.js';
import { testDataset } from '../support/drop-datasets.js';

type Read = (sql: string) => Promise<Record<string, unknown>[]>;

/** Events of one test run: ids of their own, so a rerun on the same broker cannot collide. */
function events(run: string) {
  const id = (n: string) => `${run}-${n}`;
  const t1 = ticket({ id: id('T1'), title: 'Printer on fire', statusName: 'Open' });
  return {
    created: platformBody('ticket:created', { ticket: t1 }, { eventId: id('e1'), timestamp: '2026-11-20T10:00:00Z' }),
    statusChanged: {
      // Thena's other shape: the event under `message`, and a partial ticket.
      message: platformBody(
        'ticket:status:changed',
        { ticket: { id: id('T1'), statusName: 'Closed' } },
        { eventId: id('e2'), timestamp: '2026-11-20T11:00:00Z' },
      ),
    },
    commented: platformBody(
      'ticket:comment:created',
      { comment: comment({ id: id('C1'), entityId: id('T1') }) },
      { eventId: id('e3'), timestamp: '2026-11-20T10:30:00Z' },
    ),
    commentDeleted: platformBody(
      'ticket:comment:deleted',
      { previousComment: comment({ id: id('C1'), entityId: id('T1') }) },
      { eventId: id('e4'), timestamp: '2026-11-20T10:40:00Z' },
    ),
    unknown: platformBody(
      'ticket:teleported',
      { ticket: { id: id('T1') }, destination: 'mars' },
      { eventId: id('e5'), timestamp: '2026-11-20T10:50:00Z' },
    ),
  };
}

const bigQueryRead =
  (bq: BigQuery, project: string, dataset: string): Read =>
  async (sql) =>
    (
      await bq.query(sql.replace(/FROM (\w+)/g, (_, name: string) => `FROM \`${project}.${dataset}.${name}\``))
    )[0] as Record<string, unknown>[];

describe('platform events', () => {
  it('count a thrice-delivered event once, keep an unknown type, and hold every fact once in both sinks', async () => {
    const brokers = inject('kafkaBrokers');
    const project = inject('bigqueryProject');
    const bq = createBigQuery({ BIGQUERY_PROJECT: project, BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint') })!;
    const dataset = testDataset('platform');
    await migrate(bq, { dataset, location: 'US' });
    const ingress = await startIngress(brokers);
    const fx = await lakeFixture(brokers);
    const run = uniqueName('run');
    const e = events(run);
    try {
      for (const table of [ticketEvents, ticketComments]) {
        await fx.consume(table, { topic: topics.platformEvents.name });
        await fx.consume(table, { topic: topics.platformEvents.name, maxAgeMs: 300 }, (t) =>
          bigQuerySink({ bq, writeClient: testWriteClient(), dataset, table: t }),
        );
      }
      const post = async (body: unknown) => {
        const res = await fetch(`${ingress.url}/webhooks/thena/platform`, {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json', authorization: testToken },
        });
        return { status: res.status, eventId: ((await res.json()) as { eventId?: string }).eventId };
      };
      const answers = [];
      for (const body of [e.created, e.created, e.statusChanged, e.commented, e.created, e.commentDeleted, e.unknown]) {
        answers.push(await post(body));
      }
      expect(answers.map((a) => a.status)).toEqual(Array(7).fill(202));
      expect(answers.filter((a) => a.eventId === `${run}-e1`)).toHaveLength(3);

      // What the views must hold: each accepted event's facts, flattened as the consumers would.
      const envelopes = [e.created, e.statusChanged, e.commented, e.commentDeleted, e.unknown].map((body) => {
        const accepted = classifyPlatform(JSON.stringify(body));
        if (accepted.kind !== 'accepted') throw new Error('fixture rejected');
        return platformEnvelope(accepted, new Date(), 'org-1');
      });
      const expected = factsOfEnvelopes(platformFactViews, envelopes);
      expect(expected.ticket_history!.size).toBe(5);
      expect(expected.comment_history!.size).toBe(2);

      const lakeRead: Read = async (sql) => {
        const lake = await openLake(fx.lakeDir);
        try {
          return (await lake.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
        } finally {
          lake.closeSync();
        }
      };
      const ours = (found: Record<string, string[]>) =>
        Object.fromEntries(Object.entries(found).map(([v, keys]) => [v, keys.filter((k) => k.includes(run)).sort()]));
      const complete = (found: Record<string, string[]>) =>
        found.ticket_history!.length >= 5 && found.comment_history!.length >= 2 ? found : undefined;
      for (const [sink, read] of [
        ['lake', lakeRead],
        ['bigquery', bigQueryRead(bq, project, dataset)],
      ] as const) {
        const found = await waitFor(
          `the platform facts in the ${sink}`,
          async () => complete(ours(await factsInViews(platformFactViews, read))),
          60_000,
          500,
        );
        expect(found, sink).toEqual(
          Object.fromEntries(Object.entries(expected).map(([v, keys]) => [v, [...keys].sort()])),
        );
        const types = await read(
          `SELECT event_type FROM ticket_history WHERE ticket_id = '${run}-T1' ORDER BY event_time`,
        );
        expect(
          types.map((r) => r.event_type),
          sink,
        ).toEqual([
          'ticket:created',
          'ticket:comment:created',
          'ticket:comment:deleted',
          'ticket:teleported',
          'ticket:status:changed',
        ]);
        const [latest] = await read(`SELECT title, status, workspace FROM ticket_latest WHERE ticket_id = '${run}-T1'`);
        expect(latest, sink).toEqual({ title: 'Printer on fire', status: 'Closed', workspace: 'org-1' });
        const [deleted] = await read(`SELECT is_deleted FROM comments WHERE comment_id = '${run}-C1'`);
        expect(deleted, sink).toEqual({ is_deleted: true });
      }
    } finally {
      await fx.close();
      await ingress.close();
    }
  });
});
