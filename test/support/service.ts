// One process of the test pipeline (test/support/pipeline.ts): started, stopped, killed and, when
// supervised, started again after an exit nobody asked for, with its readiness and metrics at hand.
import { waitUntilReady, type ManagedProcess } from '../../infra/local/process.js';
import { waitFor } from './wait.js';

/** One process of the pipeline that can be started, stopped and killed again and again. */
export class Service {
  private proc: ManagedProcess | undefined;
  private starts = 0;
  /** Exits nobody asked for (a crash), each restarted after 2 s when the pipeline supervises. */
  readonly crashes: { code: number | string; log: string }[] = [];

  constructor(
    readonly name: string,
    private readonly launch: (n: number) => ManagedProcess,
    private readonly baseUrl: string,
    private readonly supervise: boolean,
  ) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async ready(): Promise<boolean> {
    const res = await fetch(`${this.baseUrl}/readyz`).catch(() => undefined);
    return res?.status === 200;
  }

  /** The `status` field of /readyz ('ready', 'degraded', 'unavailable'); undefined if it does not answer. */
  async readiness(): Promise<string | undefined> {
    const res = await fetch(`${this.baseUrl}/readyz`).catch(() => undefined);
    return ((await res?.json().catch(() => undefined)) as { status?: string } | undefined)?.status;
  }

  /** Sum of every sample of a metric in the service's /metrics; with `label` (`sink="bigquery"`), of those that carry it. */
  async metric(name: string, label?: string): Promise<number> {
    const text = await (await fetch(`${this.baseUrl}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      .filter((line) => label === undefined || line.slice(0, line.lastIndexOf(' ')).includes(label))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  }

  /** Starts the process and waits until its /readyz answers 200. */
  async start(timeoutMs = 90_000): Promise<void> {
    this.spawn();
    await this.waitReady(timeoutMs);
  }

  /** Starts the process without waiting for it (to restart one while a dependency is down). */
  spawn(): void {
    if (this.proc) throw new Error(`${this.name} is already running`);
    const proc = this.launch(this.starts++);
    this.proc = proc;
    void proc.exited.then((code) => {
      if (this.proc !== proc) return; // stopped or killed on purpose
      this.proc = undefined;
      this.crashes.push({ code, log: proc.logFile });
      if (this.supervise) setTimeout(() => this.proc ?? this.spawn(), 2_000);
    });
  }

  async waitReady(timeoutMs = 90_000, probe = () => this.ready()): Promise<void> {
    if (!this.proc) throw new Error(`${this.name} is not running`);
    await waitUntilReady(this.proc, probe, timeoutMs);
  }

  /** SIGTERM: the service drains and leaves as it would on a deploy. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    await proc?.stop();
  }

  /** SIGKILL: a crash. */
  async kill(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    await proc?.kill();
  }
}

/**
 * Waits until each running consumer service of `services` has committed in each of its sinks
 * since the call (Pipeline.everyConsumerCommits). A service restarted meanwhile (a supervised
 * crash) counts from nothing again.
 */
export async function eachCommitsAgain(services: Service[], timeoutMs: number): Promise<void> {
  const commits = (s: Service, sink: string) => s.metric('thena_consumer_commits_total', sink).catch(() => 0);
  const since = (s: Service, sink: string) => {
    const pid = s.pid;
    const counted = commits(s, sink);
    return async () => (await commits(s, sink)) > (s.pid === pid ? await counted : 0);
  };
  const running = services.filter((s) => s.pid !== undefined);
  await Promise.all(
    running.flatMap((s) =>
      ['parquet', 'bigquery'].map((sink) =>
        waitFor(`${s.name} to commit in its ${sink} sink`, since(s, `sink="${sink}"`), timeoutMs, 250),
      ),
    ),
  );
}
