// An in-memory Transport for tests of the HTTP layer: records what would be sent, and can be
// told to fail or to hang like a broker that is away. Integration tests use the Kafka transport.
import type { OutgoingMessage } from '../../services/ingress/publisher.js';
import type { Readiness, Transport } from '../../services/ingress/transport.js';

export class MemoryTransport implements Transport {
  readonly sent: OutgoingMessage[] = [];
  readonly batches: number[] = [];
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  state: Readiness = { ready: true };
  closed = false;

  readonly lanes = 1;
  route(): { lane: number } {
    return { lane: 0 };
  }
  async send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.mode === 'hang') return new Promise(() => undefined);
    if (this.mode === 'fail') throw new Error('broker unavailable');
    this.batches.push(messages.length);
    this.sent.push(...messages);
  }
  readiness(): Readiness {
    return this.state;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
