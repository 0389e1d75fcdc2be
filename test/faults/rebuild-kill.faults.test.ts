// `npm run rebuild` under steady webhook traffic, SIGKILLed halfway through writing the new
// generation and run again. Until the switch the views serve the old generation; after it the new
// one; never a fact twice or a count going down. The end is what an uninterrupted run gives: every
// accepted fact once in both sinks, the table on generation 2, and a rebuild run once more finds
// nothing to do.
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bigQueryGenerations } from '../../services/bigquery/index.js';
import { lakeGenerations, openLake } from '../../services/lake/index.js';
import { requestActivity } from '../../tables/catalogue.js';
import { expectNothingLost } from '../support/accounting.js';
import { sleep, usePipeline, type Pipeline } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

/** Reads the activity view every 200 ms: the generation it served, its count and repeats. */
function poll(p: Pipeline) {
  const violations: string[] = [];
  const served: string[] = [];
  let last = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const generation = realpathSync(join(p.lakeDir, requestActivity.name)).endsWith('/g2') ? 'g2' : 'g1';
      const lake = await openLake(p.lakeDir, [requestActivity]).catch(() => undefined);
      if (lake) {
        const [row] = (
          await lake.runAndReadAll(
            'SELECT count(*) AS n, count(*) - count(DISTINCT (request_id, activity_id, activity_ts_raw)) AS repeated FROM activity',
          )
        ).getRowObjectsJS();
        lake.closeSync();
        const n = Number(row!.n);
        if (Number(row!.repeated) > 0) violations.push(`${row!.repeated} activity items twice`);
        if (n < last) violations.push(`count went down ${last} -> ${n}`);
        last = n;
        if (served.at(-1) !== generation) served.push(generation);
      }
      await sleep(200);
    }
  })();
  return {
    violations,
    served,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

describe('a rebuild killed halfway and run again', () => {
  const pipeline = usePipeline('faults-rebuild');

  it('serves the old generation until the switch and ends as an uninterrupted run would', async () => {
    const p = pipeline();
    const load = p.load(20);
    load.start();
    await sleep(10_000);
    const poller = poll(p);
    const args = ['--table', requestActivity.name, '--force', '--keep-old-seconds', '2'];

    const first = p.command('rebuild-1', 'consumers/rebuild-cli.ts', args);
    // Halfway: once it reports progress on the lake's new generation.
    await waitFor(
      'the rebuild to report progress',
      () => readFileSync(first.logFile, 'utf8').includes('request_activity (lake):'),
      120_000,
      100,
    );
    await first.kill();
    const lake = lakeGenerations(p.lakeDir);
    expect(await lake.current(requestActivity)).toEqual({ generation: 1, version: 1 });
    await sleep(5_000);

    const second = p.command('rebuild-2', 'consumers/rebuild-cli.ts', args);
    expect(await second.exited).toBe(0);
    const output = readFileSync(second.logFile, 'utf8');
    expect(output).toContain('request_activity (lake): rebuilt, generation 1 -> 2');
    expect(output).toContain('request_activity (bigquery): rebuilt, generation 1 -> 2');

    await sleep(5_000);
    await load.stop();
    await expectNothingLost(p, load);
    await poller.stop();
    expect(poller.violations).toEqual([]);
    expect(poller.served).toEqual(['g1', 'g2']);
    expect(await lake.current(requestActivity)).toEqual({ generation: 2, version: 1 });
    expect(await bigQueryGenerations(p.bq, p.dataset).current(requestActivity)).toEqual({ generation: 2, version: 1 });
    expect(p.crashes()).toEqual({});

    const third = p.command('rebuild-3', 'consumers/rebuild-cli.ts', ['--table', requestActivity.name]);
    expect(await third.exited).toBe(0);
    expect(readFileSync(third.logFile, 'utf8')).toContain('request_activity (lake): up to date at version 1');
    console.log(`rebuild killed and rerun: ${load.summary()}; generations served ${poller.served.join(' -> ')}`);
  });
});
