// The BigQuery emulator stopped for 45 seconds under load, then started again. The lake keeps
// going meanwhile (each sink has its own consumer group); the BigQuery side pauses, retries and
// catches up. Afterwards both sinks' views hold every accepted fact exactly once, and no service
// died along the way.
import { describe, expect, it } from 'vitest';
import { expectedCounts, expectNothingLost, lakeContents } from '../support/accounting.js';
import { sleep, usePipeline } from '../support/pipeline.js';

describe('BigQuery emulator stopped and restarted under load', () => {
  const pipeline = usePipeline('faults-emulator');

  it('loses and repeats nothing, and the lake does not wait for BigQuery', async () => {
    const p = pipeline();
    const load = p.load(20);
    load.start();
    await sleep(8_000);

    await p.stopEmulator();
    const lakeAtStop = (await lakeContents(p.lake)).facts.request_history!.length;
    await sleep(45_000);
    const lakeDuring = (await lakeContents(p.lake)).facts.request_history!.length;
    // 45 s at 20 webhooks a second: the lake took hundreds of events while BigQuery was away.
    expect(lakeDuring - lakeAtStop).toBeGreaterThan(400);
    const retries = await p.consumer('request-events').metric('thena_consumer_sink_retries_total');
    expect(retries).toBeGreaterThan(0);

    await p.startEmulator();
    await sleep(10_000);
    await load.stop();

    const { lake } = await expectNothingLost(p, load);
    expect(p.crashes()).toEqual({});
    console.log(
      `emulator outage: ${load.summary()}; request-events sink retries ${retries}; facts per view ${JSON.stringify(expectedCounts(lake))}`,
    );
  });
});
