// Every consumer service killed with SIGKILL at random moments, three times each, while webhooks
// keep arriving; each restarted as its supervisor would. Afterwards the lake's and BigQuery's
// views hold every accepted fact exactly once, and nothing else.
import { describe, expect, it } from 'vitest';
import { expectedCounts, expectNothingLost } from '../support/accounting.js';
import { consumerNames, sleep, usePipeline } from '../support/pipeline.js';

const rounds = 3;

describe('consumers killed with SIGKILL under load', () => {
  const pipeline = usePipeline('faults-consumer-kills');

  it(`loses and repeats nothing across ${rounds * consumerNames.length} kills, in both sinks`, async () => {
    const p = pipeline();
    const load = p.load(20);
    load.start();
    await sleep(5_000);
    for (let round = 0; round < rounds; round++) {
      // Each service dies at its own random moment; the restarts overlap the next kills.
      const restarts: Promise<void>[] = [];
      for (const name of consumerNames) {
        await sleep(300 + Math.random() * 1_500);
        const service = p.consumer(name);
        await service.kill();
        restarts.push(service.start());
      }
      await Promise.all(restarts);
    }
    await sleep(3_000);
    await load.stop();

    expect(load.accepted.size).toBeGreaterThan(300);
    const { lake } = await expectNothingLost(p, load);
    // Only the kills ended a process: no service died on its own along the way.
    expect(p.crashes()).toEqual({});
    console.log(`consumer kills: ${load.summary()}; facts per view ${JSON.stringify(expectedCounts(lake))}`);
  });
});
