// RFC 8785 canonicalisation speed (services/ingress/jcs.ts, run on every webhook for its event id):
// canonicalJson against the text built by hand (canonicalJsonByHand, the former implementation and
// the baseline) and against the `canonicalize` package, on values straight out of JSON.parse: Thena's
// sample and a ~5.4 KB request with 20 activity items, each with its keys as sent (already in order)
// and reversed in every object (every object then has to be copied in order). All three must give the
// same text, or the run fails without figures. Prints µs of CPU time per call, the fastest of
// `--rounds` rounds of `--calls` calls after a warm-up (the fastest, as other work on the machine only
// ever slows a round), and the ratios. Not a test.
//
//   node --import tsx bench/jcs.ts [--rounds 40 --calls 500]
import { parseArgs } from 'node:util';
import canonicalize from 'canonicalize';
import { canonicalJson, canonicalJsonByHand } from '../services/ingress/jcs.js';
import { seed } from '../test/fixtures/webhooks.js';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '40' }, calls: { type: 'string', default: '500' } },
});
const rounds = Number(args.rounds);
const calls = Number(args.calls);

/** The sample with 20 activity items: replies a few hundred bytes long, some of them not ASCII. */
function largeRequest(): unknown {
  const names = ['Ana Lima', 'Zed Ødegård', '😀 Priya', 'Ｊｏｈｎ', 'li.wei'];
  const activity = Array.from({ length: 20 }, (_, i) => ({
    id: `ACT${String(i).padStart(7, '0')}`,
    text: `<p>Reply ${i}: the export still fails after the retry — see log line ${i * 7}. Ünïcødé ✓</p>`,
    ts: `${1_692_826_409 + i * 61}.902529`,
    user: { id: `USER${i % 5}`, name: names[i % 5] },
  }));
  return { ...seed, request: { ...seed.request, activity } };
}

/** The same value with every object's keys in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).reverse();
  return Object.fromEntries(entries.map(([key, v]) => [key, reversedKeys(v)]));
}

const large = largeRequest();
const samples = {
  'sample, keys as sent': seed,
  'sample, keys reversed': reversedKeys(seed),
  '20 activity items, keys as sent': large,
  '20 activity items, keys reversed': reversedKeys(large),
};
const implementations = {
  byHand: canonicalJsonByHand,
  canonicalJson,
  canonicalize: (value: unknown) => canonicalize(value)!,
};
type Implementation = keyof typeof implementations;

// Through JSON text, so each value is what JSON.parse hands the webhook route.
const inputs = Object.entries(samples).map(([name, value]) => {
  const body = JSON.stringify(value);
  return { name, bytes: Buffer.byteLength(body), value: JSON.parse(body) as unknown };
});

for (const { name, value } of inputs) {
  const expected = canonicalize(value);
  for (const [impl, canonical] of Object.entries(implementations)) {
    if (canonical(value) !== expected) throw new Error(`${impl} disagrees with canonicalize on "${name}"`);
  }
}

/** µs of CPU time per call over `calls` calls. */
function timeCalls(canonical: (value: unknown) => string, value: unknown): number {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) canonical(value);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / calls;
}

for (let i = 0; i < 2000; i++) for (const { value } of inputs) for (const f of Object.values(implementations)) f(value);
const fastest = new Map<string, number>();
for (let round = 0; round < rounds; round++) {
  for (const { name, value } of inputs) {
    for (const [impl, canonical] of Object.entries(implementations)) {
      const key = `${name}|${impl}`;
      fastest.set(key, Math.min(fastest.get(key) ?? Infinity, timeCalls(canonical, value)));
    }
  }
}

const us = (name: string, impl: Implementation) => fastest.get(`${name}|${impl}`)!;
const columns = ['bytes', 'by hand µs', 'new µs', 'by hand/new', 'canonicalize µs', 'canonicalize/new'];
console.log(`µs of CPU time per call, fastest of ${rounds} rounds of ${calls} calls`);
console.log('input'.padEnd(34) + columns.map((c) => c.padStart(18)).join(''));
for (const { name, bytes } of inputs) {
  const [old, now, library] = [us(name, 'byHand'), us(name, 'canonicalJson'), us(name, 'canonicalize')];
  const cells = [String(bytes), old.toFixed(1), now.toFixed(1), `${(old / now).toFixed(2)}x`, library.toFixed(1)];
  cells.push(`${(library / now).toFixed(2)}x`);
  console.log(name.padEnd(34) + cells.map((c) => c.padStart(18)).join(''));
}
