// How a consumer's fetches wait on the broker: for a useful amount of data, bounded by its batch
// age. With kafkajs's default of one byte, each message that arrives alone is a fetch of its own: at
// 20 webhooks a second, ten consumers made ~200 fetches a second between them, and kafkajs's
// encoding and decoding of them was half a consumer's CPU.

/** A fetch the broker answers before its wait is over: a megabyte (a catching-up consumer fills it at once). */
export const fetchMinBytes = 1024 * 1024;

/**
 * How long the broker holds a fetch that has less than `fetchMinBytes`: a quarter of the batch age,
 * so a row reaches its batch at most that much later (BigQuery's 1 s batches: 250 ms), and at most
 * a second, since kafkajs's stop() waits for the fetch in flight.
 */
export const fetchWaitMs = (batchMaxAgeMs: number) => Math.min(1_000, Math.max(50, Math.floor(batchMaxAgeMs / 4)));
