// Every consumer service killed with SIGKILL at random moments, three times each, while webhooks
// keep arriving; each restarted as its supervisor would. The lake is in a bucket (fake-gcs-server)
// and the services reading the six-partition topic run two instances each, as two machines with
// scratch folders of their own would; the kills alternate between them. Afterwards the lake's and
// BigQuery's views hold every accepted fact exactly once, and nothing else.
import { describe, expect, it } from 'vitest';
import { expectedCounts, expectNothingLost } from '../support/accounting.js';
import { consumerNames, sleep, usePipeline } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const rounds = 3;
// rejected-events reads a one-partition topic: a second instance there would only stand by.
const paired = consumerNames.filter((n) => n !== 'rejected-events');

describe('consumers killed with SIGKILL under load, the lake in a bucket', () => {
  const pipeline = usePipeline('faults-consumer-kills', { bucket: true });

  it(`loses and repeats nothing across ${rounds * consumerNames.length} kills, in both sinks`, async () => {
    const p = pipeline();
    await Promise.all(paired.map((n) => p.consumer(n, 1).start()));
    const load = p.load(20);
    load.start();
    // Both instances of each paired service write to the bucket before the kills begin (waited
    // for, without the fixed 5 s that came first).
    for (const n of paired) {
      for (const i of [0, 1] as const) {
        const wrote = async () => (await p.consumer(n, i).metric('thena_lake_files_written_total')) > 0;
        await waitFor(`${n}#${i} to write a file`, wrote, 30_000, 500);
      }
    }
    for (let round = 0; round < rounds; round++) {
      // Each service dies at its own random moment; the restarts overlap the next kills.
      const restarts: Promise<void>[] = [];
      for (const name of consumerNames) {
        await sleep(300 + Math.random() * 1_500);
        const service = p.consumer(name, paired.includes(name) ? ((round % 2) as 0 | 1) : 0);
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
