// Soak run: steady webhook traffic through the whole pipeline (ingress with spool, Kafka, the five
// consumer services, both sinks) for `--minutes`, with the resident memory (VmRSS) of every process
// sampled every 10 s. At the end the sinks must hold every accepted fact exactly once, and no
// process may have grown by more than max(32 MiB, 20% of its warm-up RSS) between warm-up and the
// last minute. Prints a table per process and PASS/FAIL; exits 1 on any FAIL. Not a test: the
// figures go into the README.
//
//   npm run bench:soak [-- --minutes 10 --rate 50]
//
// Own ports (29600-29695) and state under .local/test/soak; samples go to .local/soak/samples.csv.
// Settings are the production defaults except LAKE_FILE_MAX_AGE_SECONDS=10 (default 30): three
// times as many file/batch/commit cycles in the same run, so a leak per cycle shows sooner, while
// still far from the fault suite's 1 s churn. RSS is the figure because a service's JS heap cannot
// be read from outside; the pids are the node, java and python processes themselves.
//
// The bound: a V8 or JVM process's RSS moves by tens of MiB as its heap is resized and pages are
// touched, so 32 MiB (or 20% for big processes) is noise, not a leak. A leak of ~1.5 KB per event
// at 50/s over the 8 minutes after warm-up is 35 MiB, above it. The load generator is shown for
// context only: it keeps every body it sent for the accounting, so it grows by design.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { localDir } from '../infra/local/paths.js';
import { expectSettledExactly, expectedCounts } from '../test/support/accounting.js';
import { buildServices } from '../test/support/build.js';
import { WebhookLoad } from '../test/support/load.js';
import { Pipeline, sleep, type PipelinePorts } from '../test/support/pipeline.js';

const { values: args } = parseArgs({
  options: { minutes: { type: 'string', default: '10' }, rate: { type: 'string', default: '50' } },
});
const runSeconds = Number(args.minutes) * 60;
const rate = Number(args.rate);
if (!(runSeconds > 0 && rate > 0)) throw new Error('--minutes and --rate must be positive numbers');
const sampleEvery = 10;
// Minute 1-2 once the JIT, pools and caches have filled; the first 20% for a short smoke run.
const warmUp = runSeconds >= 300 ? [60, 120] : [0, runSeconds * 0.2];
const loadName = 'load-generator';
const csv = join(localDir, 'soak', 'samples.csv');
const ports: PipelinePorts = {
  kafka: 29694,
  kafkaController: 29695,
  emulator: 29670,
  emulatorGrpc: 29680,
  ingress: 29600,
  consumerMetricsBase: 29610,
  gcs: 29660,
};

interface Sample {
  t: number;
  name: string;
  mib: number;
}

// Ctrl-C: every wait below races this, so the finally block closes the pipeline.
let wasInterrupted = false;
let interrupt = () => {};
const interrupted = new Promise<never>((_, reject) => (interrupt = () => reject(new Error('interrupted'))));
interrupted.catch(() => undefined);
const orInterrupt = <T>(p: Promise<T>) => Promise.race([p, interrupted]);
process.once('SIGINT', () => {
  wasInterrupted = true;
  interrupt();
  process.once('SIGINT', () => process.exit(130)); // a second Ctrl-C leaves at once
});

/** VmRSS of a process in MiB; undefined if it has gone (a crash between listing and reading). */
function rssMiB(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

function sampleAll(p: Pipeline, t: number): Sample[] {
  const samples = [...p.runningProcesses(), { name: loadName, pid: process.pid }].flatMap(({ name, pid }) => {
    const mib = rssMiB(pid);
    return mib === undefined ? [] : [{ t, name, mib }];
  });
  appendFileSync(csv, samples.map((s) => `${s.t},${s.name},${s.mib.toFixed(1)}\n`).join(''));
  return samples;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const short = (name: string) => name.replace(/^request-/, '').replace(/#0$/, '');
const clock = (t: number) => `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;

function progress(t: number, load: WebhookLoad, samples: Sample[], p: Pipeline): void {
  const rss = samples.map((s) => `${short(s.name)} ${s.mib.toFixed(0)}`).join(', ');
  const crashes = Object.keys(p.crashes()).length ? `, crashes ${JSON.stringify(p.crashes())}` : '';
  console.log(`[${clock(t)}] accepted ${load.accepted.size}${crashes} | RSS MiB: ${rss}`);
}

/** One row per process; true when every pipeline process stayed within the bound. */
function memoryVerdict(samples: Sample[]): boolean {
  const names = [...new Set(samples.map((s) => s.name))];
  const mib = (x: number, sign = '') => (sign + x.toFixed(1)).padStart(8);
  console.log(`\n${'process'.padEnd(22)}  warm-up     peak     last   growth  ratio    bound  verdict`);
  let pass = true;
  for (const name of names) {
    const mine = samples.filter((s) => s.name === name);
    const during = (from: number, to: number) => mine.filter((s) => s.t >= from && s.t <= to).map((s) => s.mib);
    const start = median(during(warmUp[0]!, warmUp[1]!));
    const last = median(during(runSeconds - 60, runSeconds));
    const peak = Math.max(...mine.map((s) => s.mib));
    const growth = last - start;
    const bound = Math.max(32, 0.2 * start);
    const ok = growth <= bound; // false too when a window has no sample (NaN)
    if (name !== loadName) pass &&= ok;
    const verdict = name === loadName ? 'context' : ok ? 'PASS' : 'FAIL';
    const ratio = (last / start).toFixed(2).padStart(6);
    const cells = [mib(start), mib(peak), mib(last), mib(growth, growth >= 0 ? '+' : ''), ratio, mib(bound)];
    console.log(`${name.padEnd(22)} ${cells.join(' ')}  ${verdict}`);
  }
  return pass;
}

async function soak(p: Pipeline): Promise<boolean> {
  const load = new WebhookLoad({ url: p.ingressUrl, token: p.token, ratePerSecond: rate, invalidEvery: 50 });
  const samples: Sample[] = [];
  const t0 = performance.now();
  load.start();
  for (let t = 0; ; t += sampleEvery) {
    // Absolute deadlines: a slow sample does not shift the ones after it.
    await orInterrupt(sleep(t0 + t * 1000 - performance.now()));
    const now = sampleAll(p, t);
    samples.push(...now);
    if (t % 60 === 0 && t > 0) progress(t, load, now, p);
    if (t >= runSeconds) break;
  }
  await orInterrupt(load.stop());
  console.log(`\nload: ${load.summary()}`);
  const memoryOk = memoryVerdict(samples);

  let settledOk = true;
  try {
    const { lake } = await orInterrupt(expectSettledExactly(p, load, 240_000));
    const counts = JSON.stringify(expectedCounts(lake)); // the same expected facts for both sinks
    console.log(`\naccounting: every accepted fact exactly once in the lake and in BigQuery ${counts}: PASS`);
  } catch (err) {
    if ((err as Error).message === 'interrupted') throw err;
    console.log(`\naccounting: FAIL ${(err as Error).message}`);
    settledOk = false;
  }
  // A crash restarts a process with a fresh heap and hides a leak; unexpected answers lose data.
  const crashes = p.crashes();
  const trafficOk = Object.keys(crashes).length === 0 && load.unexpected.length === 0 && load.givenUp.length === 0;
  console.log(
    `crashes ${JSON.stringify(crashes)}, unexpected answers ${load.unexpected.length}, given up ${load.givenUp.length}: ${trafficOk ? 'PASS' : 'FAIL'}`,
  );
  return memoryOk && settledOk && trafficOk;
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  const machine = `${cpus.length} x ${cpus[0]?.model ?? 'unknown cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`;
  console.log(`soak: ${runSeconds / 60} min at ${rate}/s, ${new Date().toISOString()}, ${machine}`);
  mkdirSync(join(localDir, 'soak'), { recursive: true });
  writeFileSync(csv, 'time_s,process,rss_mib\n');
  // The services run from the build: compiled from these sources now, not left from a test run.
  buildServices();
  const p = await Pipeline.start({
    name: 'soak',
    jvm: 'server',
    ports,
    env: { LAKE_FILE_MAX_AGE_SECONDS: '10' },
    supervise: true,
  });
  let pass = false;
  try {
    pass = await soak(p);
    console.log(`\noverall: ${pass ? 'PASS' : 'FAIL'} (samples in ${csv})`);
  } catch (err) {
    console.log(`\nsoak stopped: ${(err as Error).message}`);
  } finally {
    await p.close();
    // A service that left on the terminal's own SIGINT is restarted 2 s later by the supervisor.
    if (wasInterrupted) await sleep(2_500).then(() => p.close());
  }
  // Explicitly: after an interrupt the load's timers and retries would keep the process alive.
  process.exit(wasInterrupted ? 130 : pass ? 0 : 1);
}

await main();
