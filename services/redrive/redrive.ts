// Sends dead letters through the normal path again (see decide.ts for what happens to each). A
// ledger on the control topic records what was done with each record, so a second redrive leaves
// alone what the first one moved on; a record left unchanged is looked at again next time, in
// case the code has changed since.
import type { Kafka } from 'kafkajs';
import { redriveKey, type ControlRecord, type RedriveRecord } from '../../schemas/control.js';
import { deadLetterSchemaId, DeadLetterHeaders, type DeadLetterRecord } from '../../schemas/dead-letter.schema.js';
import type { GenerationStore } from '../../schemas/sink.js';
import type { OutgoingMessage } from '../../schemas/topics.js';
import type { ControlWriter } from '../shared/control.js';
import { deadLetterMessage } from '../shared/dead-letter.js';
import type { Progress } from '../shared/progress.js';
import { readTopic } from '../shared/read-topic.js';
import { decide, pipelineTopics, type Decision, type RedriveTopics } from './decide.js';

export interface RedriveOptions {
  kafka: Kafka;
  /** The pipeline's topics by default. */
  topics?: RedriveTopics;
  /** Only records with this reason. */
  reason?: string;
  /** Only records received at or after this time. */
  since?: Date;
  /** Say what would happen; change nothing. */
  dryRun: boolean;
  publish: (m: OutgoingMessage) => Promise<void>;
  control: ControlWriter;
  ledger: ReadonlyMap<string, ControlRecord>;
  /** BigQuery's generations, to offer refused rows again; undefined when BigQuery is off. */
  bigquery?: GenerationStore;
  progress: Progress;
}

export interface RedriveSummary {
  /** Records looked at, by what happened (or would happen) to them. */
  outcomes: Record<string, number>;
  /** A few of the decisions, for the report. */
  examples: string[];
}

interface Candidate {
  partition: number;
  offset: string;
  record: DeadLetterRecord;
  retryCount: number;
}

/** The dead letters to look at: not moved on by an earlier redrive, and matching the filters. */
async function candidates(o: RedriveOptions, outcomes: Record<string, number>): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const count = (what: string) => (outcomes[what] = (outcomes[what] ?? 0) + 1);
  const dlq = (o.topics ?? pipelineTopics).deadLetter;
  await readTopic(o.kafka, dlq, ({ partition, offset, value, headers }) => {
    let record: DeadLetterRecord;
    try {
      record = JSON.parse(value ?? '') as DeadLetterRecord;
    } catch {
      return void count('skipped: not a dead-letter record');
    }
    if (record.schema !== deadLetterSchemaId) return void count('skipped: not a dead-letter record');
    const done = o.ledger.get(redriveKey(dlq, partition, offset)) as RedriveRecord | undefined;
    if (done && done.outcome !== 'unchanged') return void count('already redriven');
    if (o.reason !== undefined && record.reason !== o.reason) return void count('filtered out');
    if (o.since && Date.parse(record.receivedAt) < o.since.getTime()) return void count('filtered out');
    out.push({ partition, offset, record, retryCount: Number(headers[DeadLetterHeaders.retryCount] ?? 0) });
  });
  return out;
}

/** Offers a refused row to BigQuery again; a refusal for the same reason leaves it as it is. */
async function insert(o: RedriveOptions, c: Candidate, d: Extract<Decision, { action: 'insert' }>): Promise<Decision> {
  if (!o.bigquery) return { action: 'skip', why: 'BigQuery is off (BIGQUERY_PROJECT unset)' };
  const { generation } = await o.bigquery.current(d.table);
  const sink = await o.bigquery.writer(d.table, generation);
  const { refused } = await sink.writeBatch({
    partition: c.partition,
    firstOffset: c.offset,
    lastOffset: c.offset,
    rows: [d.row],
  });
  if (refused.length === 0) return d;
  const reason = `bigquery_${refused[0]!.reason}`;
  if (reason === c.record.reason) return { action: 'unchanged', reason };
  const message = deadLetterMessage({
    topic: (o.topics ?? pipelineTopics).deadLetter,
    source: c.record.source,
    reason,
    message: refused[0]!.message,
    rawBody: c.record.rawBody,
    ...(c.record.origin ? { origin: c.record.origin } : {}),
    ...(c.record.workspace ? { workspace: c.record.workspace } : {}),
    retryCount: c.retryCount + 1,
  });
  await o.publish(message);
  return { action: 'dead-letter', reason, message };
}

/** Carries out a decision; returns what was done, for the ledger. */
async function act(o: RedriveOptions, c: Candidate, d: Decision): Promise<Decision> {
  if (d.action === 'publish' || d.action === 'dead-letter') await o.publish(d.message);
  return d.action === 'insert' ? insert(o, c, d) : d;
}

const outcomeOf = {
  publish: 'published',
  insert: 'inserted',
  'dead-letter': 'failed-again',
  unchanged: 'unchanged',
} as const;

const describe = (c: Candidate, d: Decision) =>
  `${c.partition}/${c.offset} (${c.record.source}, ${c.record.reason}): ` +
  (d.action === 'publish'
    ? `sent as ${d.what}`
    : d.action === 'insert'
      ? `offered to BigQuery again (${d.table.name})`
      : d.action === 'dead-letter'
        ? `fails again, now ${d.reason}: back on the dead-letter topic with its count raised`
        : d.action === 'unchanged'
          ? `still fails with ${d.reason}: left as it is`
          : `skipped: ${d.why}`);

export async function redrive(o: RedriveOptions): Promise<RedriveSummary> {
  const outcomes: Record<string, number> = {};
  const examples: string[] = [];
  const todo = await candidates(o, outcomes);
  for (const [i, c] of todo.entries()) {
    const decided = decide(c.record, c.retryCount, new Date(), o.topics);
    const done = o.dryRun ? decided : await act(o, c, decided);
    const label =
      done.action === 'skip' ? `skipped: ${done.why}` : (o.dryRun ? `would be ` : '') + outcomeOf[done.action];
    outcomes[label] = (outcomes[label] ?? 0) + 1;
    if (examples.length < 20) examples.push(describe(c, done));
    if (!o.dryRun && done.action !== 'skip') {
      const dlq = (o.topics ?? pipelineTopics).deadLetter;
      await o.control.publish(redriveKey(dlq, c.partition, c.offset), {
        kind: 'redrive',
        topic: dlq,
        partition: c.partition,
        offset: c.offset,
        outcome: outcomeOf[done.action],
        at: new Date().toISOString(),
      });
    }
    o.progress.update(i + 1, todo.length);
  }
  return { outcomes, examples };
}
