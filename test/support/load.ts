// Steady webhook traffic as Thena sends it, for fault tests and the soak run: each request goes
// through a cumulative lifecycle (create, updates with growing activity, an assignee, CSAT at the
// close), a few bodies are invalid, and a delivery that is not answered 2xx/400 is retried the way
// Thena retries: about five times over about 190 seconds, then given up.
import { lifecycle } from '../fixtures/lifecycle.js';
import { classify } from '../../services/ingress/webhook.js';

/** Thena's retry delays, in ms: five retries over roughly 190 s. */
export const thenaRetryDelaysMs = [2_000, 8_000, 20_000, 60_000, 100_000];

/**
 * Thena's schedule with every delay multiplied by `factor`: a test whose fault must outlast the
 * sender's whole retry window keeps that relation at a fraction of the wait.
 */
export const scaledRetryDelaysMs = (factor: number) => thenaRetryDelaysMs.map((ms) => Math.round(ms * factor));

/** How long a delivery is retried before it is given up: the sum of the delays. */
export const retryWindowMs = (delays: readonly number[]) => delays.reduce((a, b) => a + b, 0);

export interface LoadOptions {
  url: string;
  token: string;
  ratePerSecond: number;
  /** Every n-th body is invalid (no requestId), so the rejection path is under load too. 0: none. */
  invalidEvery?: number;
  /** Request ids start here; lifecycles have six events each. */
  firstRequestId?: number;
  /** At most this many deliveries in flight (including those waiting to retry). */
  maxInFlight?: number;
  /** The delays between retries of a delivery not answered 2xx/400; Thena's by default. */
  retryDelaysMs?: readonly number[];
  /** Called the moment a body's `202` arrives (the freshness benchmark times from here). */
  onAccepted?: (eventId: string) => void;
}

export interface Sent {
  body: unknown;
  /** The eventId the ingress computes for a valid body; undefined for invalid ones. */
  eventId?: string;
  marker?: string;
}

export class WebhookLoad {
  /** Every body sent at least once, by sequence number. */
  readonly sent: Sent[] = [];
  /** eventIds answered 202. */
  readonly accepted = new Set<string>();
  /** Markers of invalid bodies answered 400. */
  readonly rejected = new Set<string>();
  /** Deliveries Thena would have given up on after its last retry. */
  readonly givenUp: Sent[] = [];
  /** Answers seen, by status (or 'network' for a connection failure). */
  readonly answers = new Map<string, number>();
  /** Answers no retry can change (a 4xx other than 429 where 202 or 400 was due). */
  readonly unexpected: string[] = [];
  retries = 0;
  private abandoned = false;
  private inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private n = 0;
  private readonly lifecycles = new Map<number, ReturnType<typeof lifecycle>>();

  constructor(private readonly o: LoadOptions) {}

  get outstanding(): number {
    return this.inFlight.size;
  }

  /** Starts sending at the configured rate (open loop: a slow answer does not slow the senders). */
  start(): void {
    const intervalMs = 1000 / this.o.ratePerSecond;
    let due = performance.now();
    const tick = () => {
      const now = performance.now();
      while (due <= now) {
        due += intervalMs;
        if (this.inFlight.size >= (this.o.maxInFlight ?? 2_000)) continue; // as a full client would drop
        void this.deliver(this.next());
      }
      this.timer = setTimeout(tick, Math.max(1, due - performance.now()));
    };
    tick();
  }

  /** Stops sending new bodies and waits until every delivery is answered or given up. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops sending and retrying at once (a test that failed), without waiting for answers. */
  abandon(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abandoned = true;
  }

  /**
   * Sends one body of the test's own beside the steady traffic, counted like the others: a body
   * the ingress accepts is expected in the sinks, one it rejects must be in the rejections view
   * (give it a `request.marker`). Resolves once it is answered (retried as Thena retries).
   */
  post(body: unknown): Promise<void> {
    const result = classify(JSON.stringify(body));
    const marker = (body as { request?: { marker?: unknown } }).request?.marker;
    const sent: Sent =
      result.kind === 'accepted'
        ? { body, eventId: result.eventId }
        : { body, ...(typeof marker === 'string' ? { marker } : {}) };
    this.sent.push(sent);
    return this.deliver(sent);
  }

  /** eventIds of bodies sent, whether or not the answer arrived. */
  sentEventIds(): Set<string> {
    return new Set(this.sent.flatMap((s) => (s.eventId ? [s.eventId] : [])));
  }

  summary(): string {
    const answers = [...this.answers].map(([k, v]) => `${k}: ${v}`).join(', ');
    return `${this.sent.length} sent, ${this.accepted.size} accepted, ${this.rejected.size} rejected, ${this.retries} retries, ${this.givenUp.length} given up, ${this.unexpected.length} unexpected (${answers})`;
  }

  private next(): Sent {
    const i = this.n++;
    // The first body too: the rejections' consumer has something to write from the start, as the
    // request tables' have (a fault test waits for every consumer to commit before it strikes).
    if (this.o.invalidEvery && i % this.o.invalidEvery === 0) {
      const marker = `invalid-body-${i}`;
      const sent = { body: { action: 'UPDATE', request: { status: 'NEW', marker } }, marker };
      this.sent.push(sent);
      return sent;
    }
    const requestNumber = (this.o.firstRequestId ?? 700_000) + Math.floor(i / 6);
    let lc = this.lifecycles.get(requestNumber);
    if (!lc) {
      lc = lifecycle(String(requestNumber), 6, `TEAM${requestNumber % 3}`);
      this.lifecycles.set(requestNumber, lc);
      this.lifecycles.delete(requestNumber - 50);
    }
    const body = lc.bodies[i % 6]!;
    const result = classify(JSON.stringify(body));
    if (result.kind !== 'accepted') throw new Error('a lifecycle body was rejected by classify');
    const sent = { body, eventId: result.eventId };
    this.sent.push(sent);
    return sent;
  }

  private deliver(sent: Sent): Promise<void> {
    const p = this.attempt(sent).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    return p;
  }

  private async attempt(sent: Sent): Promise<void> {
    const payload = JSON.stringify(sent.body);
    for (let attempt = 0; ; attempt++) {
      const status = await fetch(`${this.o.url}/webhooks/thena`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: this.o.token },
        body: payload,
        signal: AbortSignal.timeout(30_000),
      }).then(
        async (res) => {
          await res.arrayBuffer();
          return String(res.status);
        },
        () => 'network',
      );
      this.answers.set(status, (this.answers.get(status) ?? 0) + 1);
      if (status === '202' && sent.eventId) {
        this.accepted.add(sent.eventId);
        this.o.onAccepted?.(sent.eventId);
        return;
      }
      if (status === '400' && sent.marker) {
        this.rejected.add(sent.marker);
        return;
      }
      if (status.startsWith('4') && status !== '429') {
        this.unexpected.push(`${status} to a body that should have had ${sent.marker ? 400 : 202}`);
        return;
      }
      const delay = (this.o.retryDelaysMs ?? thenaRetryDelaysMs)[attempt];
      if (this.abandoned) return;
      if (delay === undefined) {
        this.givenUp.push(sent);
        return;
      }
      this.retries++;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
