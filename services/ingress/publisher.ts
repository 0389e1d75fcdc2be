// Gathers the messages of concurrent requests into one Kafka request. kafkajs's idempotent
// producer has one request in flight per broker, so one awaited send per HTTP request would
// serialise them all; instead, while a batch is in flight, new messages queue, and they leave
// together as soon as it is acknowledged (bounded by count and bytes). Each message has its own
// deadline: kafkajs retries an idempotent send for as long as the broker is away, so without one
// a request would hang.

import type { OutgoingMessage } from '../../schemas/topics.js';

export type { OutgoingMessage };

/** A message whose partition may already be chosen (by the transport's route); absent: its key decides. */
export type RoutedMessage = OutgoingMessage & { partition?: number };

/**
 * The message bound for `partition`. Spelt out rather than `{ ...message, partition }`, which costs
 * about a microsecond a message on Node 20 (see tables/thena/request-event.ts, eventRow).
 */
export const routedTo = (m: OutgoingMessage, partition: number): RoutedMessage => ({
  topic: m.topic,
  key: m.key,
  value: m.value,
  headers: m.headers,
  partition,
});

/** Sends one batch and resolves once the broker has acknowledged all of it (acks=all). */
export type SendBatch = (messages: RoutedMessage[]) => Promise<void>;

export class PublishTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Kafka did not acknowledge within ${timeoutMs} ms`);
    this.name = 'PublishTimeoutError';
  }
}

export class PublisherFullError extends Error {
  constructor(bytes: number) {
    super(`${bytes} bytes already wait for Kafka`);
    this.name = 'PublisherFullError';
  }
}

/** Bytes waiting for Kafka, counted across the publishers that share it (one per producer). */
export class QueueBudget {
  used = 0;
  constructor(readonly maxBytes: number) {}
}

export interface PublisherOptions {
  timeoutMs: number;
  maxBatchMessages: number;
  maxBatchBytes: number;
  /**
   * Bytes of messages allowed to wait for Kafka. Past it, publish() fails at once with
   * PublisherFullError: while Kafka is away, requests are refused fast instead of piling up.
   * A number bounds this publisher alone; a QueueBudget bounds all the publishers given it.
   */
  maxQueuedBytes?: number | QueueBudget;
  /** Called after each batch with its size and how long the broker took. */
  onBatch?: (messages: number, seconds: number, ok: boolean) => void;
}

interface Pending {
  message: RoutedMessage;
  bytes: number;
  settled: boolean;
  timer: NodeJS.Timeout;
  resolve(): void;
  reject(err: Error): void;
}

export class Publisher {
  private queue: Pending[] = [];
  private readonly budget: QueueBudget | undefined;
  private inFlight: Promise<void> | undefined;
  private scheduled = false;

  constructor(
    private readonly send: SendBatch,
    private readonly opts: PublisherOptions,
  ) {
    const bound = opts.maxQueuedBytes;
    this.budget = typeof bound === 'number' ? new QueueBudget(bound) : bound;
  }

  /**
   * Resolves once the broker acknowledged the message; rejects with PublishTimeoutError after
   * `timeoutMs`. A message whose deadline passed while still queued is not sent at all; one that
   * was already on its way may still land (its id makes the redelivery harmless).
   */
  publish(message: RoutedMessage): Promise<void> {
    let bytes = Buffer.byteLength(message.value) + (message.key?.length ?? 0);
    for (const name in message.headers) bytes += name.length + Buffer.byteLength(message.headers[name]!);
    if (this.budget && this.budget.used + bytes > this.budget.maxBytes) {
      return Promise.reject(new PublisherFullError(this.budget.used));
    }
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        message,
        bytes,
        settled: false,
        resolve,
        reject,
        timer: setTimeout(() => {
          // Timed out while still queued: drop it now rather than when the queue next moves.
          const index = this.queue.indexOf(pending);
          if (index >= 0) {
            this.queue.splice(index, 1);
            this.release(pending.bytes);
          }
          this.settle(pending, new PublishTimeoutError(this.opts.timeoutMs));
        }, this.opts.timeoutMs),
      };
      this.queue.push(pending);
      if (this.budget) this.budget.used += bytes;
      this.schedule();
    });
  }

  /** Messages waiting or in flight. */
  get depth(): number {
    return this.queue.length + (this.inFlight ? 1 : 0);
  }

  /**
   * Resolves when every message handed over so far has been acknowledged or has timed out, or
   * after `maxWaitMs` (by default the publish timeout): a batch still in flight by then belongs to
   * requests that have had their 503 already.
   */
  async drain(maxWaitMs = this.opts.timeoutMs): Promise<void> {
    const deadline = Date.now() + maxWaitMs;
    while ((this.queue.length > 0 || this.inFlight || this.scheduled) && Date.now() < deadline) {
      const wait = Math.max(1, deadline - Date.now());
      await Promise.race([
        this.inFlight ?? new Promise((r) => setImmediate(r)),
        new Promise((r) => setTimeout(r, wait)),
      ]);
    }
  }

  private release(bytes: number): void {
    if (this.budget) this.budget.used -= bytes;
  }

  private settle(p: Pending, err?: Error): void {
    if (p.settled) return;
    p.settled = true;
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve();
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // Let the requests that arrived in the same turn of the event loop join this batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const batch: Pending[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && batch.length < this.opts.maxBatchMessages) {
      const next = this.queue[0]!;
      if (batch.length > 0 && bytes + next.bytes > this.opts.maxBatchBytes) break;
      batch.push(this.queue.shift()!);
      this.release(next.bytes);
      bytes += next.bytes;
    }
    if (batch.length === 0) return;
    const started = process.hrtime.bigint();
    const done = (err?: Error) => {
      this.opts.onBatch?.(batch.length, Number(process.hrtime.bigint() - started) / 1e9, !err);
      for (const p of batch) this.settle(p, err);
      this.inFlight = undefined;
      // What queued while this batch was out leaves now, without waiting for another loop turn.
      this.flush();
    };
    this.inFlight = this.send(batch.map((p) => p.message)).then(
      () => done(),
      (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
    );
  }
}
