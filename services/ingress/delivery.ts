// Where an accepted event goes: straight to Kafka through the micro-batching publisher, or, when
// Kafka does not acknowledge in time, into the durable spool, from which a drainer publishes it
// as soon as Kafka takes writes again. While the spool holds anything, new events go behind it,
// so a request's events still reach Kafka in the order they arrived.
import type { FastifyBaseLogger } from 'fastify';
import type { OutgoingMessage } from './publisher.js';
import type { Spool } from './spool.js';
import type { Readiness, Transport } from './transport.js';

export type Delivered = 'published' | 'spooled';

export interface DeliveryReadiness extends Readiness {
  /** Taking webhooks, but into the spool: Kafka is away or the spool is still draining. */
  degraded?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Delivery {
  private stopped = false;
  private drainer: Promise<void> | undefined;

  constructor(
    private readonly publisher: { publish(message: OutgoingMessage): Promise<void> },
    private readonly transport: Transport,
    private readonly spool: Spool | undefined,
    private readonly logger: FastifyBaseLogger,
  ) {}

  /**
   * Resolves once the event is acknowledged by Kafka ('published') or fsynced in the spool
   * ('spooled'); rejects when neither can take it (no spool, or the spool is full).
   */
  async deliver(message: OutgoingMessage): Promise<Delivered> {
    if (this.spool && this.spool.depth > 0) {
      await this.spool.append(message);
      return 'spooled';
    }
    try {
      await this.publisher.publish(message);
      return 'published';
    } catch (err) {
      if (!this.spool) throw err;
      await this.spool.append(message);
      return 'spooled';
    }
  }

  readiness(): DeliveryReadiness {
    const kafka = this.transport.readiness();
    const spooled = this.spool?.depth ?? 0;
    if (kafka.ready && spooled === 0) return { ready: true };
    if (!this.spool) return kafka;
    return {
      ready: true,
      degraded: true,
      reason: kafka.ready ? `draining ${spooled} spooled events` : `${kafka.reason}; ${spooled} events spooled`,
    };
  }

  /** Publishes the spool's records in order, forgetting each batch only once Kafka acknowledged it. */
  startDraining(batchSize = 500): void {
    const spool = this.spool;
    if (!spool || this.drainer) return;
    if (spool.tornRecords > 0)
      this.logger.warn({ torn: spool.tornRecords }, 'the spool held a torn record (a crash mid-write); it was cut off');
    if (spool.depth > 0) this.logger.info({ spooled: spool.depth }, 'draining the spool left by an earlier run');
    this.drainer = (async () => {
      while (!this.stopped) {
        const next = spool.peek(batchSize);
        if (!next) {
          await sleep(100);
          continue;
        }
        try {
          // No deadline here: kafkajs retries while the broker is away, and this is the only send.
          await this.transport.send(next.messages);
          next.acknowledge();
          if (spool.depth === 0) this.logger.info('the spool is drained');
        } catch (err) {
          this.logger.warn({ err }, 'could not drain the spool yet; retrying');
          await sleep(1000);
        }
      }
    })();
  }

  /**
   * Stops draining: first lets the drainer empty the spool for up to `drainMs` (new webhooks no
   * longer arrive), then waits at most `maxWaitMs` for a send in flight. What remains stays spooled.
   */
  async stop(maxWaitMs: number, drainMs = 0): Promise<void> {
    const spool = this.spool;
    if (spool && spool.depth > 0 && drainMs > 0) {
      const deadline = Date.now() + drainMs;
      this.logger.info({ spooled: spool.depth, drainMs }, 'publishing the spool before exiting');
      while (spool.depth > 0 && Date.now() < deadline) await sleep(100);
      if (spool.depth > 0)
        this.logger.warn(
          { spooled: spool.depth },
          'the spool could not be published in time (INGRESS_DRAIN_ON_EXIT_MS); it stays on disk for the next start',
        );
    }
    this.stopped = true;
    if (this.drainer) await Promise.race([this.drainer, sleep(maxWaitMs)]);
    this.spool?.close();
  }
}
