// A second instance of every consumer service joins its groups under load, takes partitions and
// writes, then leaves (SIGTERM, as on a scale-down); twice. Batches are in flight on both sides at
// every rebalance. The lake is in a bucket (fake-gcs-server), each instance with a scratch folder
// of its own, as on two machines. Afterwards both sinks' views hold every accepted fact exactly once.
import { describe, expect, it } from 'vitest';
import { expectedCounts, expectNothingLost } from '../support/accounting.js';
import { consumerNames, usePipeline } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

describe('consumer group rebalances under load', () => {
  const pipeline = usePipeline('faults-rebalance', { bucket: true });

  it('loses and repeats nothing as second instances join and leave', async () => {
    const p = pipeline();
    const load = p.load(20);
    load.start();
    // The first rebalance strikes a pipeline that writes: every consumer has committed in both
    // sinks, with the next batches in flight (waited for, instead of a fixed 5 s).
    await p.everyConsumerCommits();
    // The services reading the six-partition events topic; rejected-events reads a one-partition
    // topic, so a second instance there would only stand by.
    const shared = consumerNames.filter((n) => n !== 'rejected-events');
    for (let cycle = 0; cycle < 2; cycle++) {
      await Promise.all(shared.map((n) => p.consumer(n, 1).start()));
      // Each second instance took partitions and committed what it wrote before it leaves (waited
      // for, rather than a fixed 10 s: the commit is the event the scenario needs).
      for (const n of shared) {
        const committed = async () => (await p.consumer(n, 1).metric('thena_consumer_commits_total')) > 0;
        await waitFor(`${n}#1 to commit`, committed, 60_000, 250);
      }
      await Promise.all(shared.map((n) => p.consumer(n, 1).stop()));
      // The first instances took every partition back and committed in both sinks (waited for,
      // instead of a fixed 5 s).
      await p.everyConsumerCommits();
    }
    await load.stop();

    const { lake } = await expectNothingLost(p, load);
    expect(p.crashes()).toEqual({});
    console.log(`rebalance: ${load.summary()}; facts per view ${JSON.stringify(expectedCounts(lake))}`);
  });
});
