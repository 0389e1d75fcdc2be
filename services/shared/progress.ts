// A progress line for long work (rebuilds, redrives): done of total, the rate, and the time left,
// printed at most every `intervalMs`, and a summary at the end.
export interface Progress {
  /** Reports how far the work is; `total` may grow while it runs (live traffic). */
  update(done: number, total: number): void;
  /** The summary line. */
  finish(summary: string): void;
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown';
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** A progress reporter writing to `write` (stderr by default), e.g. "12,000 of 40,000 events (30%), 2,100/s, about 13 s left". */
export function progress(
  what: string,
  opts: { unit?: string; intervalMs?: number; write?: (line: string) => void; now?: () => number } = {},
): Progress {
  const unit = opts.unit ?? 'events';
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = opts.now ?? Date.now;
  const started = now();
  let lastPrinted = -Infinity;
  return {
    update(done, reported) {
      // Work can pass the total it was given (a rebuild reads past the offsets it must reach):
      // never more than 100 % nor a negative time left.
      const total = Math.max(done, reported);
      const t = now();
      if (t - lastPrinted < (opts.intervalMs ?? 2000)) return;
      lastPrinted = t;
      const elapsed = Math.max(0.001, (t - started) / 1000);
      const rate = done / elapsed;
      const percent = total > 0 ? Math.floor((100 * done) / total) : 100;
      const left = rate > 0 ? (total - done) / rate : Infinity;
      write(
        `${what}: ${count(done)} of ${count(total)} ${unit} (${percent}%), ${count(rate)} ${unit}/s, about ${duration(left)} left`,
      );
    },
    finish(summary) {
      write(`${what}: ${summary} in ${duration((now() - started) / 1000)}`);
    },
  };
}
