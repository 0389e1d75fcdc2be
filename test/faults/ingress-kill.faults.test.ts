// Kafka stopped, and the ingress killed with SIGKILL twice while it spools under load (restarted
// each time with Kafka still down), then Kafka started again. Every webhook answered 202 before a
// kill was fsynced to the spool and is delivered; those cut off mid-request are retried as Thena
// retries. Afterwards both sinks' views hold every accepted fact exactly once.
import { describe, expect, it } from 'vitest';
import { expectedCounts, expectNothingLost } from '../support/accounting.js';
import { sleep, usePipeline } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

describe('ingress killed while spooling', () => {
  const pipeline = usePipeline('faults-ingress-kill', { supervise: true });

  it('delivers every acknowledged webhook once Kafka and the ingress are back', async () => {
    const p = pipeline();
    const load = p.load(20);
    load.start();
    // The fault strikes a pipeline that writes: every consumer has committed in both sinks, with
    // the next batches in flight (waited for, instead of a fixed 5 s).
    await p.everyConsumerCommits();

    await p.stopKafka();
    // Between kills, 4–6 s of spooling: at 20 webhooks a second, about a hundred records for each
    // kill to land among (8–10 s, as the test first waited, spooled more of the same).
    for (let kill = 0; kill < 2; kill++) {
      await sleep(4_000 + Math.random() * 2_000);
      expect(await p.ingress.metric('thena_ingress_spool_records')).toBeGreaterThan(0);
      await p.ingress.kill();
      // Back at once, with Kafka still down: it reopens the spool (cutting a torn tail) and answers.
      await p.ingress.start();
    }
    await sleep(4_000);

    await p.startKafka();
    await waitFor('the spool drained', async () => (await p.ingress.readiness()) === 'ready', 120_000, 1_000);
    // Traffic goes on until every consumer has committed in both sinks since the spool drained
    // (waited for, instead of a fixed 5 s).
    await p.everyConsumerCommits();
    await load.stop();

    expect(load.answers.get('network')).toBeGreaterThan(0); // the kills did cut requests off
    // Thena retries the requests the kills cut off, so some events reach Kafka twice, and the
    // consumers restart while Kafka is away: BigQuery's base tables may hold such an event twice
    // (docs/guarantees.md). The views may not.
    const { lake } = await expectNothingLost(p, load, { bigQueryBase: false });
    console.log(
      `ingress kills: ${load.summary()}; service restarts ${JSON.stringify(p.crashes())}; facts per view ${JSON.stringify(expectedCounts(lake))}`,
    );
  });
});
