// Kafka stopped for longer than the sender's retry window while webhooks keep arriving, then
// started again. The ingress answers 202 from its spool the whole time and drains it in order
// afterwards; the consumers ride out the outage. Afterwards both sinks' views hold every accepted
// fact exactly once, and the sender never had to give up on a delivery.
import { describe, expect, it } from 'vitest';
import { expectedCounts, expectNothingLost } from '../support/accounting.js';
import { retryWindowMs, scaledRetryDelaysMs } from '../support/load.js';
import { sleep, usePipeline } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

// Thena retries for about 190 s; the outage that proves the spool must outlast that window, so that
// an ingress answering 503 instead would have lost deliveries. The relation, not the length, is what
// the test proves: the sender here retries on Thena's schedule at a sixteenth of its delays (11.9 s
// in all; an eighth, a quarter and 60 s before) and the outage lasts 26 s, longer than that whole
// window by more than 10 s, which the test asserts.
const retryDelaysMs = scaledRetryDelaysMs(1 / 16);
const outageMs = 26_000;
// The consumers' stall bound (KAFKA_STALL_EXIT_MS, 120 s by default, shorter than Thena's window):
// shortened in the same spirit (30 s before), so that as with the real lengths every consumer gives
// up on the missing broker, exits and is restarted by its supervisor during the outage, with more
// than 10 s of the outage left after the bound. Not the setting's least (10 s): a consumer restarted
// after the broker is back must be consuming within the bound, its start and a rebalance that waits
// out a dead member's 6 s session included, or it would be restarted again.
const stallMs = 15_000;

describe('Kafka stopped for longer than the sender retries', () => {
  const pipeline = usePipeline('faults-kafka', { supervise: true, env: { KAFKA_STALL_EXIT_MS: String(stallMs) } });

  it(`accepts, keeps and delivers every webhook through a ${outageMs / 1000} s outage`, async () => {
    expect(outageMs).toBeGreaterThan(retryWindowMs(retryDelaysMs) + 10_000);
    expect(outageMs).toBeGreaterThan(stallMs + 10_000);
    const p = pipeline();
    const rate = 10;
    const load = p.load(rate, { retryDelaysMs });
    load.start();
    // The fault strikes a pipeline that writes: every consumer has committed in both sinks, with
    // the next batches in flight (waited for, instead of a fixed 5 s).
    await p.everyConsumerCommits();

    await p.stopKafka();
    const stoppedAt = Date.now();
    await waitFor(
      'the ingress to report degraded',
      async () => (await p.ingress.readiness()) === 'degraded',
      30_000,
      500,
    );
    await sleep(outageMs - (Date.now() - stoppedAt));
    const spooled = await p.ingress.metric('thena_ingress_spool_records');
    const age = await p.ingress.metric('thena_ingress_spool_age_seconds');
    // The spool holds at least a retry window's worth of webhooks, the oldest older than the window.
    expect(spooled).toBeGreaterThan((rate * retryWindowMs(retryDelaysMs)) / 1000);
    expect(age * 1000).toBeGreaterThan(retryWindowMs(retryDelaysMs));

    await p.startKafka();
    await waitFor('the spool drained', async () => (await p.ingress.readiness()) === 'ready', 120_000, 1_000);
    expect(await p.ingress.metric('thena_ingress_spool_records')).toBe(0);
    // Traffic goes on until every consumer (each restarted during the outage) has committed in both
    // sinks since the spool drained (waited for, instead of a fixed 5 s).
    await p.everyConsumerCommits();
    await load.stop();

    // Events reach Kafka twice here (a publish whose answer came too late is spooled and sent again)
    // and the consumers restart while Kafka is away: BigQuery's base tables may hold such an event
    // twice (docs/guarantees.md). The views may not.
    const { lake } = await expectNothingLost(p, load, { bigQueryBase: false });
    console.log(
      `kafka outage: ${load.summary()}; ${spooled} spooled at the end of the outage (oldest ${Math.round(age)} s); ` +
        `service restarts ${JSON.stringify(p.crashes())}; facts per view ${JSON.stringify(expectedCounts(lake))}`,
    );
    // As with Thena's lengths, every consumer gave up on the missing broker and was restarted.
    for (const name of p.consumerNames) expect(p.crashes()[`${name}#0`], name).toBeGreaterThan(0);
  });
});
