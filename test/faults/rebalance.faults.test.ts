// A second instance of every consumer service joins its groups under load, takes partitions and
// writes, then leaves (SIGTERM, as on a scale-down); twice. Batches are in flight on both sides at
// every rebalance. Afterwards both sinks' views hold every accepted fact exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedCounts, expectSettledExactly } from '../support/accounting.js';
import { WebhookLoad } from '../support/load.js';
import { busyConsumers, consumerNames, faultPorts, Pipeline, sleep } from '../support/pipeline.js';

describe('consumer group rebalances under load', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await Pipeline.start({ name: 'faults-rebalance', ports: faultPorts, env: busyConsumers });
  });
  afterAll(() => p?.close());

  it('loses and repeats nothing as second instances join and leave', async () => {
    const load = new WebhookLoad({ url: p.ingressUrl, token: p.token, ratePerSecond: 20, invalidEvery: 25 });
    load.start();
    await sleep(5_000);
    // The services reading the six-partition events topic; rejected-events reads a one-partition
    // topic, so a second instance there would only stand by.
    const shared = consumerNames.filter((n) => n !== 'rejected-events');
    for (let cycle = 0; cycle < 2; cycle++) {
      await Promise.all(shared.map((n) => p.consumers[n][1].start()));
      await sleep(10_000);
      // Each second instance took partitions and committed what it wrote before it leaves.
      for (const n of shared) {
        expect(await p.consumers[n][1].metric('thena_consumer_commits_total'), n).toBeGreaterThan(0);
      }
      await Promise.all(shared.map((n) => p.consumers[n][1].stop()));
      await sleep(5_000);
    }
    await load.stop();

    expect(load.unexpected).toEqual([]);
    expect(load.givenUp).toEqual([]);
    const { lake } = await expectSettledExactly(p, load);
    expect(p.crashes()).toEqual({});
    console.log(`rebalance: ${load.summary()}; facts per view ${JSON.stringify(expectedCounts(lake))}`);
  });
});
