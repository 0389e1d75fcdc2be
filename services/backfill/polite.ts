// A polite HTTP client for reading someone else's API in bulk: at most N calls a second (retries
// included), 429 answered by waiting what Retry-After asks, 5xx and network failures retried with
// exponential backoff and full jitter a bounded number of times, and every other failure turned into
// one clear error. Knows nothing of any response's shape (see requests-api.ts).
import { backoffMs, type BackoffOptions } from '../shared/retry.js';
import { ApiKeyError, BackfillError, HttpError, checkpointKept } from './errors.js';

export interface PoliteOptions {
  /** Calls a second at most, retries included. */
  requestsPerSecond: number;
  /** How long one call may take, headers and body, before it counts as failed (and is retried). */
  timeoutMs: number;
  /** The configuration key of the credential, named when the API refuses it. */
  keyName: string;
  /** Tries of one call before giving up, the first included. */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /** The longest Retry-After honoured; asked to wait longer, the run stops (come back later). */
  maxRetryAfterMs?: number;
  /** Told of each failure that will be retried. */
  onRetry?: (message: string) => void;
  /** For tests: the clock, the wait, and fetch. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

export interface PoliteClient {
  /** Resolves with a 2xx answer; throws a BackfillError once retrying cannot or may no longer help. */
  get(url: URL, headers: Record<string, string>): Promise<HttpAnswer>;
}

export const politeDefaults = {
  maxAttempts: 6,
  backoff: { initialMs: 1_000, maxMs: 30_000 },
  maxRetryAfterMs: 15 * 60_000,
} as const;

/** Spaces calls `1000 / perSecond` ms apart: each call takes the next free slot and waits for it. */
export function rateLimiter(perSecond: number, now: () => number, sleep: (ms: number) => Promise<void>) {
  const gapMs = 1000 / perSecond;
  let nextSlot = -Infinity;
  return async (): Promise<void> => {
    const t = now();
    const slot = Math.max(t, nextSlot);
    nextSlot = slot + gapMs;
    if (slot > t) await sleep(slot - t);
  };
}

/** Retry-After as milliseconds from now: delay-seconds or an HTTP date (RFC 9110); undefined if neither. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What to do after one answer: keep it, try again after a wait, or stop with an error. */
export type Verdict = { kind: 'ok' } | { kind: 'retry'; waitMs: number; why: string } | { kind: 'fail'; why: string };

/** The verdict on an HTTP status (with its Retry-After) at try number `attempt`. */
export function verdictOf(
  status: number,
  retryAfter: string | null,
  attempt: number,
  o: Required<Pick<PoliteOptions, 'backoff' | 'maxRetryAfterMs'>> & { now: number },
): Verdict {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 429) {
    const asked = retryAfterMs(retryAfter, o.now);
    if (asked !== undefined && asked > o.maxRetryAfterMs) {
      return { kind: 'fail', why: `HTTP 429 asking to wait ${Math.ceil(asked / 1000)} s (Retry-After: ${retryAfter})` };
    }
    return { kind: 'retry', waitMs: asked ?? backoffMs(attempt, o.backoff), why: 'HTTP 429 (rate limited)' };
  }
  if (status >= 500 || status === 408) {
    return { kind: 'retry', waitMs: backoffMs(attempt, o.backoff), why: `HTTP ${status}` };
  }
  return { kind: 'fail', why: `HTTP ${status}` };
}

/** A network failure in words: the system error's code where there is one. */
function networkWhy(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no complete answer within ${timeoutMs} ms`;
  return `network error: ${e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)}`;
}

const excerpt = (body: string) => {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
};

/** The error for an answer retrying cannot fix. */
function refusal(call: string, status: number, body: string, why: string, keyName: string): HttpError {
  if (status === 401 || status === 403) {
    return new ApiKeyError(
      `${call}: HTTP ${status}, the API refused the key in ${keyName}; check it is set to a valid key of this workspace (it is never printed)`,
      status,
    );
  }
  const hint =
    status === 404
      ? '; is THENA_API_URL the root of the API?'
      : status === 429
        ? '; run the same command again after that (the checkpoint is kept)'
        : '';
  return new HttpError(`${call}: ${why}${body ? `: ${excerpt(body)}` : ''}${hint}`, status);
}

type Tried =
  { kind: 'ok'; answer: HttpAnswer } | { kind: 'retry'; waitMs: number; why: string } | { kind: 'fail'; error: Error };

/** Builds the client; see the file's opening comment for its promises. */
export function politeClient(options: PoliteOptions): PoliteClient {
  const o = { ...politeDefaults, ...options };
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const fetchFn = o.fetch ?? fetch;
  const slot = rateLimiter(o.requestsPerSecond, now, sleep);

  /** Try number `n` of a call, judged: the answer, a wait before the next try, or the error. */
  const tryOnce = async (call: string, url: URL, headers: Record<string, string>, n: number): Promise<Tried> => {
    await slot();
    let status: number, retryAfter: string | null, body: string;
    try {
      const res = await fetchFn(url, { headers, signal: AbortSignal.timeout(o.timeoutMs) });
      [status, retryAfter, body] = [res.status, res.headers.get('retry-after'), await res.text()];
    } catch (err) {
      return { kind: 'retry', waitMs: backoffMs(n, o.backoff), why: networkWhy(err, o.timeoutMs) };
    }
    const verdict = verdictOf(status, retryAfter, n, { ...o, now: now() });
    if (verdict.kind === 'ok') return { kind: 'ok', answer: { status, body } };
    if (verdict.kind === 'fail') return { kind: 'fail', error: refusal(call, status, body, verdict.why, o.keyName) };
    return verdict;
  };

  return {
    async get(url, headers) {
      const call = `GET ${url.pathname}${url.search}`;
      for (let n = 1; ; n++) {
        const tried = await tryOnce(call, url, headers, n);
        if (tried.kind === 'ok') return tried.answer;
        if (tried.kind === 'fail') throw tried.error;
        if (n >= o.maxAttempts) {
          throw new BackfillError(`${call} failed ${n} times (last: ${tried.why}); ${checkpointKept}`);
        }
        o.onRetry?.(`${call}: ${tried.why}; try ${n + 1} of ${o.maxAttempts} in ${(tried.waitMs / 1000).toFixed(1)} s`);
        await sleep(tried.waitMs);
      }
    },
  };
}

/** A 2xx answer's JSON, or `fail` saying it is not JSON (with its start, so the operator sees what came). */
export function answerJson(answer: HttpAnswer, fail: (problem: string) => Error): unknown {
  try {
    return JSON.parse(answer.body);
  } catch {
    throw fail(`the answer is not JSON (${answer.body.slice(0, 80).replace(/\s+/g, ' ')})`);
  }
}
