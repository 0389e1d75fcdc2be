// One batching Publisher per producer of the transport ("lane"), so that as many batches are in
// flight as there are producers. A message is routed once, on arrival: its partition is fixed then
// and travels with it, so the lane that queued it is the lane that sends it, and a key's messages
// (one partition, one lane, one queue) leave in the order they arrived.
import {
  Publisher,
  QueueBudget,
  routedTo,
  type OutgoingMessage,
  type PublisherOptions,
  type RoutedMessage,
} from './publisher.js';
import type { Transport } from './transport.js';

export class LanePublisher {
  private readonly lanes: Publisher[];

  /** `maxQueuedBytes` (a number) bounds the bytes waiting in all lanes together. */
  constructor(
    private readonly transport: Pick<Transport, 'lanes' | 'route' | 'send'>,
    opts: PublisherOptions,
  ) {
    const bound = opts.maxQueuedBytes;
    const shared = typeof bound === 'number' ? new QueueBudget(bound) : bound;
    this.lanes = Array.from(
      { length: transport.lanes },
      () => new Publisher((messages) => transport.send(messages), { ...opts, maxQueuedBytes: shared }),
    );
  }

  /** As Publisher.publish: resolves once the broker acknowledged the message (acks=all). */
  publish(message: OutgoingMessage): Promise<void> {
    let route;
    try {
      route = this.transport.route(message);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const routed: RoutedMessage = route.partition === undefined ? message : routedTo(message, route.partition);
    return this.lanes[route.lane]!.publish(routed);
  }

  /** Messages waiting or in flight, in all lanes. */
  get depth(): number {
    return this.lanes.reduce((sum, lane) => sum + lane.depth, 0);
  }

  /** As Publisher.drain, for every lane at once. */
  async drain(maxWaitMs?: number): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.drain(maxWaitMs)));
  }
}
