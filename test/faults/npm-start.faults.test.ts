// `npm start` as a user runs it: traffic, then Ctrl-C, which a terminal sends as SIGINT to the
// whole foreground process group. The stop must finish within 10 s in the announced order
// (services, then the emulator and Kafka), with every file a consumer wrote committed: started
// again, the stack re-writes nothing, and both sinks end with every accepted fact once.
// It runs with the fault suite, one file at a time: the 10 s is the stack's own time to stop, and
// beside another integration file's pipeline on 2 cores the emulator's last commits alone took
// 7.4 s of it (10.09 s in all; fresh-clone run of 562c957).
import { catalogue } from '../../tables/catalogue.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localDir, repoRoot } from '../../infra/local/paths.js';
import { startProcess, type ManagedProcess } from '../../infra/local/process.js';
import { createBigQuery } from '../../services/shared/bigquery.js';
import { expectNothingLost } from '../support/accounting.js';
import { WebhookLoad } from '../support/load.js';
import { sleep } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const dir = join(localDir, 'test', 'npm-start');
const stateDir = join(dir, 'state');
const lakeDir = join(dir, 'lake');
// Below Linux's range for outgoing connections (32768-60999), which a listening port may collide with.
const offset = 10_000;
const ingressPort = 19_080;
const consumerPorts = catalogue.map((t) => t.consumer.metricsPort + offset);
const token = 'Bearer npm-start-test';

interface Stack {
  proc: ManagedProcess;
  output: () => string;
  exitedWith: () => number | string | undefined;
}

function npmStart(run: number): Stack {
  // In a process group of its own, as a shell runs a foreground job: a signal to -pid reaches
  // every process of the group, as a terminal's Ctrl-C does.
  const proc = startProcess({
    name: `npm start #${run}`,
    command: 'npm',
    args: ['start'],
    cwd: repoRoot,
    env: {
      // Empty counts as unset: whatever the runner's environment holds, this stack starts its own
      // Kafka and emulator.
      KAFKA_BROKERS: '',
      BIGQUERY_PROJECT: '',
      BIGQUERY_API_ENDPOINT: '',
      LOCAL_STATE_DIR: stateDir,
      LOCAL_PORT_OFFSET: String(offset),
      PORT: String(ingressPort),
      LAKE_DIR: lakeDir,
      INGRESS_SPOOL_DIR: join(dir, 'spool'),
      INGRESS_AUTH_TOKENS: token,
      LAKE_FILE_MAX_AGE_SECONDS: '1',
    },
    logFile: join(dir, `npm-start.${run}.log`),
    ownProcessGroup: true,
  });
  let exitedWith: number | string | undefined;
  void proc.exited.then((code) => (exitedWith = code));
  const output = () => (existsSync(proc.logFile) ? readFileSync(proc.logFile, 'utf8') : '');
  return { proc, output, exitedWith: () => exitedWith };
}

const ready = async (url: string) => (await fetch(url).catch(() => undefined))?.status === 200;

async function waitForPipeline(stack: Stack): Promise<void> {
  await waitFor(
    'npm start to print that the pipeline runs',
    () => {
      if (stack.exitedWith() !== undefined) throw new Error(`npm start exited early:\n${stack.output()}`);
      return stack.output().includes('The pipeline is running');
    },
    240_000,
    250,
  );
  const urls = [ingressPort, ...consumerPorts].map((p) => `http://127.0.0.1:${p}/readyz`);
  await waitFor('every service ready', async () => (await Promise.all(urls.map(ready))).every(Boolean), 120_000, 250);
}

/** Every visible Parquet file of the lake, with its size. */
function lakeFiles(): Map<string, number> {
  const files = new Map<string, number>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.parquet') && !/^[._]/.test(e.name))
        files.set(relative(lakeDir, path), statSync(path).size);
    }
  };
  if (existsSync(lakeDir)) walk(lakeDir);
  return files;
}

/** Whether the process recorded in `pidFile` still runs (a zombie does not). */
const running = (pidFile: string) => {
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

describe('npm start and Ctrl-C', () => {
  it('stops within 10 s in order under traffic, every written file committed', async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const first = npmStart(1);
    let second: Stack | undefined;
    const load = new WebhookLoad({
      url: `http://127.0.0.1:${ingressPort}`,
      token,
      ratePerSecond: 40,
      invalidEvery: 25,
    });
    try {
      await waitForPipeline(first);
      load.start();
      await waitFor('files in the lake', () => lakeFiles().size >= 5, 60_000, 250);
      await sleep(3_000);

      const sigint = Date.now();
      process.kill(-first.proc.pid, 'SIGINT');
      await Promise.race([first.proc.exited, sleep(60_000)]);
      const stopSeconds = (Date.now() - sigint) / 1000;
      // npm ends by the signal it was sent, as a shell expects of a job it stopped; the launcher
      // under it says whether it stopped cleanly.
      expect(first.output()).toMatch(/"msg":"stopped"/);
      expect(first.output()).not.toMatch(/could not start|"level":"(error|fatal)"/);
      expect(stopSeconds).toBeLessThan(10);
      expect(running(join(stateDir, 'kafka', 'kafka.pid'))).toBe(false);
      expect(running(join(stateDir, 'bigquery', 'emulator.pid'))).toBe(false);
      const logLines = readdirSync(join(stateDir, 'logs')).flatMap((f) =>
        readFileSync(join(stateDir, 'logs', f), 'utf8').split('\n'),
      );
      for (const phrase of ['shutdown took over', 'could not commit', 'discarded it']) {
        expect(logLines.filter((l) => l.includes(phrase)).slice(0, 3), phrase).toEqual([]);
      }
      expect(first.output()).not.toContain('a service exited');
      const written = lakeFiles();

      second = npmStart(2);
      await waitForPipeline(second);
      // Thena's retries of what the stop cut off land on the second stack.
      await load.stop();
      await expectNothingLost(
        {
          lake: lakeDir,
          bq: createBigQuery({
            BIGQUERY_PROJECT: 'local-project',
            BIGQUERY_API_ENDPOINT: `http://127.0.0.1:${9050 + offset}`,
          })!,
          project: 'local-project',
          dataset: 'thena_lake',
          brokers: [`127.0.0.1:${9092 + offset}`],
        },
        load,
      );
      // Nothing written before the stop was removed or written again after the restart.
      const after = lakeFiles();
      const rewritten = [...written].filter(([file, size]) => after.get(file) !== size).map(([file]) => file);
      expect(rewritten).toEqual([]);
      console.log(
        `npm start: ${load.summary()}; Ctrl-C stop took ${stopSeconds.toFixed(1)} s; ${written.size} files before the stop, ${after.size} after the restart`,
      );
    } finally {
      for (const stack of [first, second]) {
        if (stack && stack.exitedWith() === undefined) {
          process.kill(-stack.proc.pid, 'SIGINT');
          await Promise.race([stack.proc.exited, sleep(60_000)]);
        }
      }
      load.abandon();
    }
  }, 900_000);
});
