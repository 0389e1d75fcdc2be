// The last resort of a consumer service against a Kafka client that will not recover by itself.
// kafkajs can keep a client stuck after the broker stalled (rather than refused) even once the
// broker is back, and a consumer whose start hangs cannot be abandoned safely from outside (it may
// still join its group later, beside its replacement). A fresh process is the cure that always
// works: it resumes from the last commit, so exiting loses nothing. The watchdog takes it when a
// sink's consumer has not been consuming for longer than a bound.
import type { Readiness } from './runtime/runtime.js';

/** What one watched consumer reports; `name` stays the same across its restarts (the sink, say). */
export interface Observation extends Readiness {
  name: string;
}

export interface Stall {
  name: string;
  /** The latest reason it gave, and the one it gave when it stopped being ready. */
  reason: string;
  since: string;
  forMs: number;
}

/**
 * How long each watched consumer has been not ready without a break. A consumer that is ready, or
 * not observed at all (paused on purpose), starts from zero next time it is not ready.
 */
export class StallClock {
  private readonly notReady = new Map<string, { at: number; reason: string }>();

  constructor(private readonly stallMs: number) {}

  /** Records what was observed at `now`; the longest stall beyond the bound, if any. */
  observe(now: number, observed: readonly Observation[]): Stall | undefined {
    const seen = new Set(observed.map((o) => o.name));
    for (const name of this.notReady.keys()) if (!seen.has(name)) this.notReady.delete(name);
    let worst: Stall | undefined;
    for (const o of observed) {
      if (o.ready) {
        this.notReady.delete(o.name);
        continue;
      }
      const reason = o.reason ?? 'not ready';
      let first = this.notReady.get(o.name);
      if (!first) this.notReady.set(o.name, (first = { at: now, reason }));
      const forMs = now - first.at;
      if (forMs > this.stallMs && (!worst || forMs > worst.forMs)) {
        worst = { name: o.name, reason, since: first.reason, forMs };
      }
    }
    return worst;
  }
}

export interface WatchdogOptions {
  /** Longest a watched consumer may go on not ready. */
  stallMs: number;
  /** The consumers to watch now, leaving out those paused on purpose. */
  observe: () => readonly Observation[];
  /** Called once, with the first stall found; the service exits there. */
  onStall: (stall: Stall) => void;
  /** How often to look; by default a tenth of the bound, at least every 5 s. */
  everyMs?: number;
  now?: () => number;
}

/**
 * Looks at the consumers every `everyMs` and calls `onStall` once when one has been not ready for
 * longer than `stallMs`. It never keeps the process alive.
 */
export function startWatchdog(o: WatchdogOptions): { stop(): void } {
  const clock = new StallClock(o.stallMs);
  const now = o.now ?? Date.now;
  const timer = setInterval(
    () => {
      const stall = clock.observe(now(), o.observe());
      if (!stall) return;
      clearInterval(timer);
      o.onStall(stall);
    },
    o.everyMs ?? Math.min(5_000, Math.max(100, o.stallMs / 10)),
  );
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
