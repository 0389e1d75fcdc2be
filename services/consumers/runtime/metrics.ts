// Metrics of a consumer service, declared once with their labels.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function consumerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    messages: new Counter({
      name: 'thena_consumer_messages_total',
      help: 'Kafka messages consumed.',
      labelNames: ['sink'] as const,
      registers,
    }),
    rows: new Counter({
      name: 'thena_consumer_rows_written_total',
      help: 'Rows made durable by a sink.',
      labelNames: ['sink', 'table'] as const,
      registers,
    }),
    suppressed: new Counter({
      name: 'thena_consumer_facts_suppressed_total',
      help: 'Rows not written again because this process had written the same fact (cumulative payloads).',
      labelNames: ['sink', 'table'] as const,
      registers,
    }),
    ...deadLetterMetrics(registers),
    flattenCounts: new Counter({
      name: 'thena_consumer_flatten_notes_total',
      help: 'Things a flattener counted, e.g. unreadable_csat.',
      labelNames: ['sink', 'what'] as const,
      registers,
    }),
    retries: new Counter({
      name: 'thena_consumer_sink_retries_total',
      help: 'Batches kept for another try after a failure that may pass: a sink write, or the commit after it (the partition pauses meanwhile).',
      labelNames: ['sink'] as const,
      registers,
    }),
    commits: new Counter({
      name: 'thena_consumer_commits_total',
      help: 'Offset commits after a durable write.',
      labelNames: ['sink'] as const,
      registers,
    }),
    rollSeconds: new Histogram({
      name: 'thena_consumer_write_seconds',
      help: 'Time to make a batch durable in a sink and commit its offsets.',
      labelNames: ['sink'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    lag: new Gauge({
      name: 'thena_consumer_lag_messages',
      help: 'Messages between the last fetched offset and the partition end, per partition.',
      labelNames: ['sink', 'partition'] as const,
      registers,
    }),
  };
}

/** What a consumer sent to the dead-letter topic, and what a redrive sent back for others. */
function deadLetterMetrics(registers: Registry[]) {
  return {
    deadLetters: new Counter({
      name: 'thena_consumer_dead_letters_total',
      help: 'Messages a consumer could not process, sent to the dead-letter topic, by reason.',
      labelNames: ['sink', 'reason'] as const,
      registers,
    }),
    poison: new Counter({
      name: 'thena_consumer_poison_messages_total',
      help: 'Messages that could not be processed after bounded tries (a flattener that throws, a write that fails alone for a reason retrying cannot fix), dead-lettered so the partition moves on.',
      labelNames: ['sink', 'stage'] as const,
      registers,
    }),
    redriveSkipped: new Counter({
      name: 'thena_consumer_redrive_skipped_total',
      help: 'Messages a redrive sent back for another service or sink, passed over.',
      labelNames: ['sink'] as const,
      registers,
    }),
  };
}

export type ConsumerMetrics = ReturnType<typeof consumerMetrics>;
