// Backoff for retrying a failed call to another system: exponential, capped, with full jitter
// (a random wait between zero and the exponential bound), so many clients that failed together
// do not retry together.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** For tests: a source of numbers in [0, 1). */
  random?: () => number;
}

/** The wait before retry number `attempt` (1 for the first retry). */
export function backoffMs(attempt: number, opts: BackoffOptions): number {
  const bound = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round((opts.random ?? Math.random)() * bound);
}

/** An error worth retrying: the other side may succeed later (outage, overload, network). */
export class RetryableError extends Error {
  override name = 'RetryableError';
}

const retryableReasons = new Set(['rateLimitExceeded', 'quotaExceeded', 'backendError', 'internalError', 'timeout']);
const retryableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);

/** Tells network failures, 5xx and rate limiting (429) from errors that retrying cannot fix. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof RetryableError) return true;
  const e = err as { code?: unknown; status?: unknown; cause?: unknown; errors?: { reason?: string }[] };
  // Google APIs answer rate and quota limits with 403 and say so in the reason: look there first.
  if (e.errors?.some((x) => retryableReasons.has(x.reason ?? ''))) return true;
  const status = typeof e.code === 'number' ? e.code : typeof e.status === 'number' ? e.status : undefined;
  if (status !== undefined) return status === 429 || status === 408 || status >= 500;
  if (typeof e.code === 'string' && retryableCodes.has(e.code)) return true;
  return e.cause !== undefined && e.cause !== err ? isRetryable(e.cause) : false;
}

/**
 * A failure of the system written to rather than of what was written: an operating-system error
 * (a full disk, a permission, a missing folder: `code` such as ENOSPC or EACCES) or an HTTP answer
 * about the caller (401, 403, 404, 407). Retrying may not fix it, but a person can, and until then
 * no message is to blame for it: consumers wait it out instead of dead-lettering what they read.
 */
export function isEnvironmental(err: unknown): boolean {
  let e = err as { code?: unknown; status?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 10; depth++, e = e.cause as typeof e) {
    if (typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code)) return true;
    const status = typeof e.code === 'number' ? e.code : typeof e.status === 'number' ? e.status : undefined;
    if (status !== undefined && [401, 403, 404, 407].includes(status)) return true;
    if (e.cause === e) break;
  }
  return false;
}

export interface KeepTryingOptions extends BackoffOptions {
  /** Only errors this accepts are retried; others are thrown at once. Default: every error. */
  retryIf?: (err: unknown) => boolean;
  /** Told of each failure that will be retried, and the wait before the next try. */
  onRetry: (err: unknown, waitMs: number, attempt: number) => void;
  /** For tests: how to wait. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Calls `attempt` until it succeeds, waiting with backoff between failures. For what a service
 * needs before it can start (its broker, its warehouse): it waits out an outage instead of exiting
 * into a restart loop.
 */
export async function keepTrying<T>(attempt: () => Promise<T>, opts: KeepTryingOptions): Promise<T> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (opts.retryIf && !opts.retryIf(err)) throw err;
      const wait = backoffMs(n, opts);
      opts.onRetry(err, wait, n);
      await sleep(wait);
    }
  }
}
