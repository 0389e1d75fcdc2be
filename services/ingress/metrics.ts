// The ingress's metrics, declared once with their labels.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Spool } from './spool.js';

export type Outcome =
  | 'accepted'
  | 'spooled'
  | 'duplicate'
  | 'rejected'
  | 'unauthorized'
  | 'forbidden'
  | 'unavailable'
  | 'too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'bad_request'
  | 'error';

function spoolGauges(registry: Registry, spool: Spool): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('thena_ingress_spool_records', 'Events waiting in the spool for Kafka.', () => spool.depth);
  gauge('thena_ingress_spool_bytes', 'Bytes of the spool not yet drained.', () => spool.bytes);
  gauge('thena_ingress_spool_age_seconds', 'Age of the oldest spooled event (0 when empty).', () => spool.ageSeconds);
}

export function ingressMetrics(registry: Registry) {
  const registers = [registry];
  return {
    /** Spool depth, size and age, read when scraped. */
    observeSpool: (spool: Spool) => spoolGauges(registry, spool),
    requests: new Counter({
      name: 'thena_ingress_requests_total',
      help: "Webhook requests by outcome; duplicate = accepted again with an eventId seen recently; forbidden = an event naming a workspace other than its token's.",
      labelNames: ['outcome'] as const,
      registers,
    }),
    rejected: new Counter({
      name: 'thena_ingress_rejected_total',
      help: 'Bodies rejected with 400 (and sent to the dead-letter topic), by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    fieldProblems: new Counter({
      name: 'thena_ingress_field_problems_total',
      help: 'Accepted events with a documented field of the wrong type, by top-level request field.',
      labelNames: ['field'] as const,
      registers,
    }),
    publishSeconds: new Histogram({
      name: 'thena_ingress_publish_seconds',
      help: 'Time from sending a batch to Kafka to its acknowledgement (acks=all).',
      labelNames: ['result'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    batchMessages: new Histogram({
      name: 'thena_ingress_batch_messages',
      help: 'Messages per Kafka request (requests that arrived together share one).',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers,
    }),
    requestSeconds: new Histogram({
      name: 'thena_ingress_request_seconds',
      help: 'Webhook request duration, from arrival to answer, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    kafkaReady: new Gauge({
      name: 'thena_ingress_kafka_ready',
      help: '1 while Kafka answered the last probe and every producer is connected.',
      registers,
    }),
  };
}

export type IngressMetrics = ReturnType<typeof ingressMetrics>;
