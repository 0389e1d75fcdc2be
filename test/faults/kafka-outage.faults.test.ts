// Kafka stopped for longer than Thena's retry window (about 190 s) while webhooks keep arriving,
// then started again. The ingress answers 202 from its spool the whole time and drains it in
// order afterwards; the consumers ride out the outage. Afterwards both sinks' views hold every
// accepted fact exactly once, and Thena never had to give up on a delivery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedCounts, expectSettledExactly } from '../support/accounting.js';
import { WebhookLoad } from '../support/load.js';
import { busyConsumers, faultPorts, Pipeline, sleep } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const outageMs = 210_000;

describe('Kafka stopped for longer than Thena retries', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await Pipeline.start({ name: 'faults-kafka', ports: faultPorts, env: busyConsumers, supervise: true });
  });
  afterAll(() => p?.close());

  it(`accepts, keeps and delivers every webhook through a ${outageMs / 1000} s outage`, async () => {
    const load = new WebhookLoad({ url: p.ingressUrl, token: p.token, ratePerSecond: 10, invalidEvery: 25 });
    load.start();
    await sleep(5_000);

    await p.stopKafka();
    const stoppedAt = Date.now();
    const readyz = async () => (await (await fetch(`${p.ingressUrl}/readyz`)).json()) as { status: string };
    await waitFor('the ingress to report degraded', async () => (await readyz()).status === 'degraded', 30_000, 500);
    await sleep(outageMs - (Date.now() - stoppedAt));
    const spooled = await p.ingress.metric('thena_ingress_spool_records');
    const age = await p.ingress.metric('thena_ingress_spool_age_seconds');
    expect(spooled).toBeGreaterThan(1_000);
    expect(age).toBeGreaterThan(150);

    await p.startKafka();
    await waitFor('the spool drained', async () => (await readyz()).status === 'ready', 120_000, 1_000);
    expect(await p.ingress.metric('thena_ingress_spool_records')).toBe(0);
    await sleep(5_000);
    await load.stop();

    expect(load.unexpected).toEqual([]);
    // The bar: Thena never exhausted its retries, so nothing was lost at the source.
    expect(load.givenUp).toEqual([]);
    const { lake } = await expectSettledExactly(p, load);
    console.log(
      `kafka outage: ${load.summary()}; ${spooled} spooled at the end of the outage (oldest ${Math.round(age)} s); ` +
        `service restarts ${JSON.stringify(p.crashes())}; facts per view ${JSON.stringify(expectedCounts(lake))}`,
    );
  });
});
