// Starting and stopping the local services (Kafka, the BigQuery emulator, the pipeline's own
// services) as child processes: output to a log file, a readiness probe with a deadline, and a
// stop that escalates from SIGTERM to SIGKILL. Used by `npm start` and by the test harness.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { createServer } from 'node:net';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone; safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once: a crash, for fault tests. */
  kill(): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  /** Variables set on top of this process's environment. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Where to record the pid. A process left running by an earlier run that died (its pid file
   * still there, its command line naming `pidFile`'s folder) is killed before this one starts,
   * so a crashed test run does not hold the ports of the next one.
   */
  pidFile?: string;
  /**
   * Run in a process group of its own, out of reach of a terminal's Ctrl-C (which signals the whole
   * foreground group): infrastructure such as Kafka must outlive the services that use it, and be
   * stopped by its launcher after them.
   */
  ownProcessGroup?: boolean;
}

/**
 * Kills the process recorded in `pidFile` if it still runs with `pidFile`'s folder in its command
 * line: a service left behind by an earlier run that died before stopping it.
 */
export function killStale(pidFile: string): void {
  const marker = dirname(pidFile);
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile, { force: true });
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return; // not running
  }
  if (!cmdline.includes(marker)) return; // the pid now belongs to something else
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

export function startProcess(opts: StartOptions): ManagedProcess {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  if (opts.pidFile) killStale(opts.pidFile);
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const child: ChildProcess = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.ownProcessGroup ?? false,
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  if (child.pid === undefined) {
    throw new Error(`${opts.name}: could not start '${opts.command}'; is it installed and on PATH?`);
  }
  if (opts.pidFile) writeFileSync(opts.pidFile, String(child.pid));
  // Resolves once the process has exited and what it printed is in the log file: its output pipes
  // close after 'exit' (waited for briefly, since a grandchild could hold them open).
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', () => resolve('spawn-error'));
  }).then(async (code) => {
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2_000))]);
    await new Promise<void>((resolve) => log.end(resolve));
    return code;
  });

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 30_000): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
  const kill = async (): Promise<void> => {
    child.kill('SIGKILL');
    await exited;
  };
  return { name: opts.name, pid: child.pid, logFile: opts.logFile, exited, stop, kill };
}

/**
 * Fails, naming the port, when something already listens on one of `ports` on 127.0.0.1: a
 * readiness probe would otherwise take that other process's answers for the new one's.
 */
export async function assertPortsFree(name: string, ports: number[]): Promise<void> {
  for (const port of ports) {
    const server = createServer();
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      server.once('error', resolve);
      server.listen(port, '127.0.0.1', () => resolve(undefined));
    });
    await new Promise((resolve) => server.close(resolve));
    if (error?.code === 'EADDRINUSE') {
      throw new Error(
        `${name}: port ${port} on 127.0.0.1 is already in use. Stop what holds it (another npm start, a test run: ` +
          `\`ss -ltnp 'sport = :${port}'\` names it), or move npm start's ports with LOCAL_PORT_OFFSET.`,
      );
    }
    if (error) throw error;
  }
}

/**
 * Polls `probe` until it resolves true, the process exits, or `timeoutMs` passes. Throws an error
 * naming the service and its log file, so a test run that cannot start a service says why.
 */
export async function waitUntilReady(
  proc: ManagedProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: number | string | undefined;
  void proc.exited.then((code) => (exitedWith = code));
  for (;;) {
    if (exitedWith !== undefined) {
      throw new Error(`${proc.name} exited (${exitedWith}) before it was ready; see ${proc.logFile}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      await proc.stop(5_000);
      throw new Error(`${proc.name} was not ready within ${timeoutMs / 1000}s; see ${proc.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Runs a command to completion, failing with its output when it exits non-zero. Resolves with what
 * it printed (stdout and stderr, or stdout alone with `stdoutOnly`).
 */
export async function run(
  command: string,
  args: string[],
  opts: { cwd?: string; stdoutOnly?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const env = opts.env ? { ...process.env, ...opts.env } : undefined;
  const child = spawn(command, args, { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (opts.stdoutOnly ? (errors += d.toString()) : (output += d.toString())));
  const [code] = (await Promise.race([
    once(child, 'exit'),
    once(child, 'error').then(([e]) => {
      throw new Error(`'${command}' could not run (${(e as Error).message}); is it installed and on PATH?`);
    }),
  ])) as [number | null];
  if (code !== 0) {
    throw new Error(`'${command} ${args.join(' ')}' exited ${code}:\n${(output + errors).slice(-4000)}`);
  }
  return output;
}
