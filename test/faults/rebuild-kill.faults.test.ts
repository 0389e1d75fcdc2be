// `npm run rebuild` under steady webhook traffic, SIGKILLed halfway through writing the new
// generation and run again. Until the switch the views serve the old generation; after it the new
// one; never a fact twice or a count going down. The end is what an uninterrupted run gives: every
// accepted fact once in both sinks, the table on generation 2, and a rebuild run once more finds
// nothing to do.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bigQueryGenerations } from '../../services/bigquery/index.js';
import { lakeGenerations, openLake } from '../../services/lake/index.js';
import { requestActivity } from '../../tables/catalogue.js';
import { expectNothingLost } from '../support/accounting.js';
import type { ManagedProcess } from '../../infra/local/process.js';
import { sleep, usePipeline, type Pipeline } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const output = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

async function snapshot(p: Pipeline): Promise<{ n: number; repeated: number }> {
  const lake = await openLake(p.lakeDir, [requestActivity]);
  try {
    const [row] = (
      await lake.runAndReadAll(
        'SELECT count(*) AS n, count(*) - count(DISTINCT (request_id, activity_id, activity_ts_raw)) AS repeated FROM activity',
      )
    ).getRowObjectsJS();
    return { n: Number(row!.n), repeated: Number(row!.repeated) };
  } finally {
    lake.closeSync();
  }
}

/** Reads the activity view every 200 ms: the generation it served, its count and repeats. */
function poll(p: Pipeline) {
  const violations: string[] = [];
  const served: string[] = [];
  let last = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const generation = realpathSync(join(p.lakeDir, requestActivity.name)).endsWith('/g2') ? 'g2' : 'g1';
      // A query can fail when a consumer, resuming, removes files it had not committed (they are
      // written again); only the answers that came are judged.
      const row = await snapshot(p).catch(() => undefined);
      if (row) {
        if (row.repeated > 0) violations.push(`${row.repeated} activity items twice`);
        if (row.n < last) violations.push(`count went down ${last} -> ${row.n}`);
        last = row.n;
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

    const commands: ManagedProcess[] = [];
    const rebuildCommand = (name: string, a: string[]) => {
      const proc = p.command(name, 'consumers/rebuild-cli.ts', a);
      commands.push(proc);
      return proc;
    };
    try {
      const first = rebuildCommand('rebuild-1', args);
      // Halfway: once it reports progress on the lake's new generation.
      await waitFor(
        'the rebuild to report progress',
        () => output(first.logFile).includes('request_activity (lake):'),
        120_000,
        100,
      );
      await first.kill();
      const lake = lakeGenerations(p.lakeDir);
      expect(await lake.current(requestActivity)).toEqual({ generation: 1, version: 1 });
      await sleep(5_000);

      const second = rebuildCommand('rebuild-2', args);
      expect(await second.exited).toBe(0);
      expect(output(second.logFile)).toContain('request_activity (lake): rebuilt, generation 1 -> 2');
      expect(output(second.logFile)).toContain('request_activity (bigquery): rebuilt, generation 1 -> 2');

      // Traffic goes on until every consumer, the rebuilt table's on its new generation, has
      // committed in both sinks since the switch (waited for, instead of a fixed 5 s).
      await p.everyConsumerCommits();
      await load.stop();
      await expectNothingLost(p, load);
      await poller.stop();
      expect(poller.violations).toEqual([]);
      expect(poller.served).toEqual(['g1', 'g2']);
      expect(await lake.current(requestActivity)).toEqual({ generation: 2, version: 1 });
      expect(await bigQueryGenerations(p.bq, p.dataset).current(requestActivity)).toEqual({
        generation: 2,
        version: 1,
      });
      expect(p.crashes()).toEqual({});

      const third = rebuildCommand('rebuild-3', ['--table', requestActivity.name]);
      expect(await third.exited).toBe(0);
      expect(output(third.logFile)).toContain('request_activity (lake): up to date at version 1');
    } finally {
      // A command still running when a check failed must not outlive the test.
      await Promise.allSettled(commands.map((c) => c.kill()));
      load.abandon();
      await poller.stop();
    }
    console.log(`rebuild killed and rerun: ${load.summary()}; generations served ${poller.served.join(' -> ')}`);
  });
});
