// Every consumer service killed with SIGKILL at random moments, three times each, while webhooks
// keep arriving; each restarted as its supervisor would. Afterwards the lake's and BigQuery's
// views hold every accepted fact exactly once, and nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedCounts, expectSettledExactly } from '../support/accounting.js';
import { WebhookLoad } from '../support/load.js';
import { busyConsumers, consumerNames, faultPorts, Pipeline, sleep } from '../support/pipeline.js';

const rounds = 3;

describe('consumers killed with SIGKILL under load', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await Pipeline.start({ name: 'faults-consumer-kills', ports: faultPorts, env: busyConsumers });
  });
  afterAll(() => p?.close());

  it(`loses and repeats nothing across ${rounds * consumerNames.length} kills, in both sinks`, async () => {
    const load = new WebhookLoad({ url: p.ingressUrl, token: p.token, ratePerSecond: 20, invalidEvery: 25 });
    load.start();
    await sleep(5_000);
    for (let round = 0; round < rounds; round++) {
      // Each service dies at its own random moment; the restarts overlap the next kills.
      const restarts: Promise<void>[] = [];
      for (const name of consumerNames) {
        await sleep(300 + Math.random() * 1_500);
        const service = p.consumers[name][0];
        await service.kill();
        restarts.push(service.start());
      }
      await Promise.all(restarts);
    }
    await sleep(3_000);
    await load.stop();

    expect(load.unexpected).toEqual([]);
    expect(load.givenUp).toEqual([]);
    expect(load.accepted.size).toBeGreaterThan(300);
    const { lake } = await expectSettledExactly(p, load);
    // Only the kills ended a process: no service died on its own along the way.
    expect(p.crashes()).toEqual({});
    console.log(`consumer kills: ${load.summary()}; facts per view ${JSON.stringify(expectedCounts(lake))}`);
  });
});
