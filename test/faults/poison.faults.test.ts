// A poison message: one webhook makes request-activity's flattener throw (a bug that one unusual
// body meets), while ordinary traffic goes on. The service must not exit into a restart loop on
// it: after its bounded tries the message goes to the dead-letter topic with its reason and origin,
// the partition moves on, every other fact of every table arrives once, and no process restarts.
// Then the "fix" (the service started without the bug) and `npm run redrive` bring the message's
// facts in once, into request_activity alone: the other services pass the redriven message over.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { topics } from '../../schemas/topics.js';
import { createKafka } from '../../services/shared/kafka.js';
import { readTopic } from '../../services/shared/read-topic.js';
import { webhook } from '../fixtures/webhooks.js';
import { expectNothingLost } from '../support/accounting.js';
import { quietLogger } from '../support/lake.js';
import { sleep, usePipeline } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const marker = 'poison-7f3a9c';
const poisoned = 'request-activity';

describe('a message that makes one flattener throw', () => {
  const pipeline = usePipeline('faults-poison', {
    supervise: true,
    preload: { service: poisoned, module: join(import.meta.dirname, '../support/poison-flattener.ts') },
    env: { THENA_TEST_POISON_MARKER: marker },
  });

  it('is dead-lettered after bounded tries, stops nothing, and a redrive after the fix brings it in once', async () => {
    const p = pipeline();
    const pids = Object.fromEntries(p.services().flatMap((s) => (s.pid ? [[s.name, s.pid]] : [])));
    const load = p.load(10);
    load.start();
    await sleep(3_000);
    const body = webhook({ requestId: 910_001, internalNote: marker });
    await load.post(body);

    // Both sinks' consumers of request-activity dead-letter it, each naming itself and the origin.
    const service = p.consumer(poisoned);
    await waitFor(
      'both sinks to dead-letter the message',
      async () => (await service.metric('thena_consumer_poison_messages_total')) >= 2,
      60_000,
      500,
    );
    expect(await service.metric('thena_consumer_poison_messages_total')).toBe(2);
    const records: Record<string, unknown>[] = [];
    await readTopic(
      createKafka({ clientId: 'poison-test', brokers: p.brokers, logger: quietLogger }),
      topics.deadLetter.name,
      ({ value }) => {
        const record = JSON.parse(value ?? '{}') as Record<string, unknown>;
        if (record.reason === 'flatten_failed') records.push(record);
      },
    );
    expect(records.map((r) => r.source).sort()).toEqual([`${poisoned}/bigquery`, `${poisoned}/parquet`]);
    for (const r of records) {
      expect(r).toMatchObject({
        failed: 'message',
        origin: { topic: topics.requestEvents.name, partition: expect.any(Number), offset: expect.any(String) },
      });
      expect(JSON.stringify(r.details)).toContain('the flattener threw 3 times');
      expect(r.rawBody).toContain(marker);
    }

    // It stops nothing: traffic goes on until every consumer, the poisoned one included, has
    // committed in both sinks since (waited for, instead of a fixed 5 s).
    await p.everyConsumerCommits();
    await load.stop();
    // Nothing restarted: no exit, every process the one that started.
    expect(p.crashes()).toEqual({});
    expect(Object.fromEntries(p.services().flatMap((s) => (s.pid ? [[s.name, s.pid]] : [])))).toEqual(pids);

    // The fix: the service runs without the bug (its second instance, which never had it), then a redrive.
    await service.stop();
    await p.consumer(poisoned, 1).start();
    const redrive = p.command('redrive', 'redrive/redrive-cli.ts', []);
    expect(await redrive.exited).toBe(0);

    // Every fact once, the poisoned message's activity included (its two records stay in
    // rejected_events, as the history of what failed); the other services passed the redriven
    // messages over instead of reading them again: two messages, each seen by two sinks' groups.
    await expectNothingLost(p, load, { consumerFailures: 2 });
    await waitFor(
      'request-events to pass the redriven messages over',
      async () => (await p.consumer('request-events').metric('thena_consumer_redrive_skipped_total')) === 4,
      30_000,
      500,
    );
    // Each sink of request-activity took its own message back and passed the other's over.
    expect(await p.consumer(poisoned, 1).metric('thena_consumer_redrive_skipped_total')).toBe(2);
    console.log(`poison: ${load.summary()}; dead-lettered by ${records.map((r) => r.source).join(', ')}`);
  });
});
