// The Kafka topics of the pipeline, created explicitly at start (never by auto-creation).
// Partition counts bound how many instances of a consumer service can share the work. The
// replication factor and min.insync.replicas are left to the brokers' defaults, so a production
// cluster's settings (say 3 and 2) apply and a one-node local cluster still works.
/** A message to publish: an event the ingress accepted, or a dead-letter record. */
export interface OutgoingMessage {
  topic: string;
  key: string | null;
  value: string;
  headers?: Record<string, string>;
}

export interface TopicDeclaration {
  name: string;
  partitions: number;
  description: string;
  /** Topic-level configuration, as Kafka names it. */
  config: Record<string, string>;
}

/**
 * Kept for ever: the events topic is the input of every rebuild (docs/operations.md, "History and
 * rebuilds", has the sizing), and dead letters wait there for a redrive.
 */
const forever = '-1';

export const topics = {
  requestEvents: {
    name: 'thena.request-events.v1',
    partitions: 6,
    description: 'Accepted webhooks in their envelope; key = request_id, so a request keeps its order.',
    // Room for the ingress's largest body (4 MiB by default) in its envelope.
    config: { 'retention.ms': forever, 'max.message.bytes': '8388608' },
  },
  platformEvents: {
    name: 'thena.platform-events.v1',
    partitions: 6,
    description:
      'Accepted Thena platform events in their envelope; key = the ticket (or the entity the event is about), so an entity keeps its order.',
    config: { 'retention.ms': forever, 'max.message.bytes': '8388608' },
  },
  deadLetter: {
    name: 'thena.request-events.dlq.v1',
    partitions: 1,
    description: 'Bodies the ingress rejected (400) and messages a consumer could not process.',
    // A record holds a body or message of up to 4 MiB as a JSON string, whose escapes can double
    // it (a body of quotes and backslashes), uncompressed when a consumer publishes it.
    config: { 'retention.ms': forever, 'max.message.bytes': '16777216' },
  },
  control: {
    name: 'thena.lake-control.v1',
    partitions: 1,
    description:
      "The pipeline's own state, latest record per key: each table's generation in each sink (rebuilds) and the redrive ledger.",
    config: { 'cleanup.policy': 'compact', 'retention.ms': forever },
  },
} as const satisfies Record<string, TopicDeclaration>;
