// Redrive on the real broker and emulator. Bodies a stricter schema once rejected (they sit on the
// dead-letter topic with its reasons) are accepted now: a redrive sends them through the normal
// path, and each fact lands once in every table of both sinks, also for a body accepted meanwhile.
// A body still invalid for the same reason is left alone; one that fails differently goes back
// with its retry count raised. A dry run changes nothing, and a second redrive changes nothing.
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { BigQuery } from '@google-cloud/bigquery';
import { topics } from '../../schemas/topics.js';
import { bigQuerySink, migrate } from '../../services/bigquery/index.js';
import { bigQueryGenerations } from '../../services/bigquery/index.js';
import { classify } from '../../services/ingress/index.js';
import { redrive } from '../../services/redrive/redrive.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { controlWriter, readControl } from '../../services/shared/control.js';
import { DeadLetterHeaders, deadLetterMessage } from '../../services/shared/dead-letter.js';
import { ensureTopics } from '../../services/shared/kafka.js';
import { progress } from '../../services/shared/progress.js';
import { readTopic } from '../../services/shared/read-topic.js';
import { lifecycle } from '../fixtures/lifecycle.js';
import { account, bigQueryContents, expectExact, factsOf, lakeContents } from '../support/accounting.js';
import { lakeFixture, type LakeFixture } from '../support/lake.js';
import { waitFor } from '../support/wait.js';
import { testWriteClient } from '../support/bigquery.js';
import { testDataset } from '../support/drop-datasets.js';

const services = ['request-events', 'request-activity', 'request-assignments', 'request-csat'] as const;

describe('redrive', () => {
  let fx: LakeFixture | undefined;
  afterAll(async () => {
    await fx?.close();
  });

  it('sends bodies a stricter schema rejected through again, once, and a second time changes nothing', async () => {
    fx = await lakeFixture(inject('kafkaBrokers'));
    const { kafka } = fx;
    await ensureTopics(kafka, [topics.control]);
    const project = inject('bigqueryProject');
    const bq: BigQuery = createBigQuery({
      BIGQUERY_PROJECT: project,
      BIGQUERY_API_ENDPOINT: inject('bigqueryEndpoint'),
    })!;
    const dataset = testDataset('redrive');
    await migrate(bq, { dataset, location: 'US' });
    for (const name of services) {
      await fx.consume(name, { maxAgeMs: 300 });
      await fx.consume(name, { maxAgeMs: 300 }, (table) =>
        bigQuerySink({ bq, writeClient: testWriteClient(), dataset, table }),
      );
    }

    const strict = [1, 2, 3].flatMap((i) => lifecycle(String(620_000 + i)).bodies);
    const reject = (rawBody: string, reason: string, details: { path: string; message: string }[]) =>
      fx!.publishMessage(deadLetterMessage({ topic: fx!.dlqTopic, source: 'ingress', reason, details, rawBody }));
    for (const body of strict) {
      await reject(JSON.stringify(body), 'missing_or_invalid_keys', [
        { path: '/request/team_id', message: 'required (the stricter schema)' },
      ]);
    }
    // Thena retried one of them after the schema was relaxed, and it was accepted then.
    await fx.publish([strict[0]]);
    // Still invalid, for the reason it was rejected.
    const stillBad = JSON.stringify({ action: 'UPDATE', request: { status: 'NEW' } });
    const verdict = classify(stillBad);
    if (verdict.kind !== 'rejected') throw new Error('expected a rejection');
    await reject(stillBad, verdict.reason, verdict.details);
    // Rejected once for another reason than the one it gets now.
    await reject(stillBad, 'invalid_json', [{ path: '/', message: 'not valid JSON' }]);

    const control = await controlWriter(kafka);
    const run = async (dryRun: boolean) =>
      redrive({
        kafka,
        topics: { events: fx!.eventsTopic, deadLetter: fx!.dlqTopic },
        dryRun,
        publish: fx!.publishMessage,
        control,
        ledger: await readControl(kafka),
        bigquery: bigQueryGenerations(bq, dataset, { client: testWriteClient() }),
        progress: progress('redrive', { write: () => undefined }),
      });

    const dry = await run(true);
    expect(dry.outcomes).toEqual({
      'would be published': strict.length,
      'would be unchanged': 1,
      'would be failed-again': 1,
    });
    expect(await messagesIn(fx, fx.eventsTopic)).toBe(1);

    const first = await run(false);
    expect(first.outcomes).toEqual({ published: strict.length, unchanged: 1, 'failed-again': 1 });
    const expected = factsOf(strict);
    const exactly = { expected, allowed: expected, rejected: new Set<string>() };
    await waitFor(
      'every fact in both sinks',
      async () => {
        const lake = account(exactly, await lakeContents(fx!.lakeDir));
        const warehouse = account(exactly, await bigQueryContents(bq, project, dataset));
        return [lake, warehouse].every((a) => Object.values(a.views).every((v) => v.missing === 0)) || undefined;
      },
      90_000,
      1000,
    );
    expectExact('lake', account(exactly, await lakeContents(fx.lakeDir)));
    expectExact('bigquery', account(exactly, await bigQueryContents(bq, project, dataset)));

    // The one that failed differently is back with its count raised.
    const again = (await headersIn(fx, fx.dlqTopic)).filter((h) => h[DeadLetterHeaders.retryCount] === '1');
    expect(again).toEqual([expect.objectContaining({ [DeadLetterHeaders.reason]: 'missing_or_invalid_keys' })]);

    const eventsAfterFirst = await messagesIn(fx, fx.eventsTopic);
    const deadLettersAfterFirst = await messagesIn(fx, fx.dlqTopic);
    const second = await run(false);
    expect(second.outcomes).toEqual({ 'already redriven': strict.length + 1, unchanged: 2 });
    expect(await messagesIn(fx, fx.eventsTopic)).toBe(eventsAfterFirst);
    expect(await messagesIn(fx, fx.dlqTopic)).toBe(deadLettersAfterFirst);
    expectExact('lake', account(exactly, await lakeContents(fx.lakeDir)));
    await control.close();
  }, 300_000);
});

async function messagesIn(fx: LakeFixture, topic: string): Promise<number> {
  let n = 0;
  await readTopic(fx.kafka, topic, () => void n++);
  return n;
}

async function headersIn(fx: LakeFixture, topic: string): Promise<Record<string, string>[]> {
  const out: Record<string, string>[] = [];
  await readTopic(fx.kafka, topic, (m) => void out.push(m.headers));
  return out;
}
