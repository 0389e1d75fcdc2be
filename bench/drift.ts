// What judging a body for payload drift costs (tables/drift/observe.ts, run by the request-events
// consumer on every event), against JSON.parse of the same body's text (the baseline: the consumer
// parses every envelope anyway): Thena's sample (no drift), and the sample with 20 activity items,
// an unknown field and a field of another type. Prints µs of CPU time per body, the fastest of
// `--rounds` rounds of `--calls` calls after a warm-up, and the ratio. Not a test.
//
//   node --import tsx bench/drift.ts [--rounds 30 --calls 2000]
import { cpuUsage } from 'node:process';
import { parseArgs } from 'node:util';
import { observeDrift } from '../tables/drift/observe.js';
import { requestDrift } from '../tables/drift/rules.js';
import { seed, webhook } from '../test/fixtures/webhooks.js';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '30' }, calls: { type: 'string', default: '2000' } },
});
const rounds = Number(args.rounds);
const calls = Number(args.calls);

const item = (i: number) => ({
  id: `A${i}`,
  text: `<p>Reply ${i}</p>`,
  ts: `${1_692_826_409 + i}.5`,
  user: { id: 'U1' },
});
const bodies = {
  'the sample (no drift)': seed,
  'the sample, 20 items, 2 findings': webhook({
    brandNew: 1,
    replyCount: 'many',
    activity: Array.from({ length: 20 }, (_, i) => item(i)),
  }),
};

/** µs of CPU per call of `f`, the fastest round. */
function fastest(f: () => void): number {
  for (let i = 0; i < calls; i++) f();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = cpuUsage();
    for (let i = 0; i < calls; i++) f();
    const used = cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / calls);
  }
  return best;
}

process.stdout.write(
  `payload drift: ${rounds} rounds of ${calls} calls, ${new Date().toISOString()}, node ${process.version}\n\n`,
);
process.stdout.write('  body                                 JSON.parse   observeDrift   ratio\n');
for (const [name, body] of Object.entries(bodies)) {
  const text = JSON.stringify(body);
  const parse = fastest(() => JSON.parse(text));
  const judge = fastest(() => observeDrift(body, requestDrift));
  process.stdout.write(
    `  ${name.padEnd(36)} ${parse.toFixed(1).padStart(7)} µs ${judge.toFixed(1).padStart(11)} µs   ${(judge / parse).toFixed(2)}\n`,
  );
}
