// Narrowing a batch that a sink cannot write, for a reason retrying cannot fix, down to the one
// message that fails: the batch is split into halves by message, each half written (and committed)
// in offset order, and a half that fails is split again. A message that fails alone `maxTries`
// times is dead-lettered, so one bad message costs its partition about log2(messages) writes and
// stops nothing behind it. Pure: the runtime writes, commits and dead-letters.
import type { Batch } from './partition-buffer.js';

/** Writes of one message alone, failing for a reason retrying cannot fix, before it is dead-lettered. */
export const maxTries = 3;

/** The messages [from, to) of a batch, with their rows. */
export function slice(batch: Batch, from: number, to: number): Batch {
  let first = 0;
  for (let i = 0; i < from; i++) first += batch.messages[i]!.rows;
  let last = first;
  for (let i = from; i < to; i++) last += batch.messages[i]!.rows;
  const messages = batch.messages.slice(from, to);
  return {
    partition: batch.partition,
    firstOffset: messages[0]!.offset,
    lastOffset: messages[messages.length - 1]!.offset,
    rows: batch.rows.slice(first, last),
    messages,
  };
}

/** The two halves of a batch of two or more messages, in offset order. */
export function halves(batch: Batch): [Batch, Batch] {
  const n = batch.messages.length;
  if (n < 2) throw new Error('a batch of one message has no halves');
  const mid = Math.ceil(n / 2);
  return [slice(batch, 0, mid), slice(batch, mid, n)];
}

/** Consecutive batches of one partition as one, in the order given. */
export function joined(batches: readonly Batch[]): Batch {
  const first = batches[0];
  if (!first) throw new Error('nothing to join');
  return {
    partition: first.partition,
    firstOffset: first.firstOffset,
    lastOffset: batches[batches.length - 1]!.lastOffset,
    rows: batches.flatMap((b) => b.rows),
    messages: batches.flatMap((b) => b.messages),
  };
}

/** A batch of one message whose rows are left out: committing it moves the partition past it. */
export const withoutRows = (batch: Batch): Batch => ({
  ...batch,
  rows: [],
  messages: batch.messages.map((m) => ({ ...m, rows: 0 })),
});
