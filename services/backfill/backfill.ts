// The backfill loop: read a source chunk by chunk (a page, a run of lines), publish each chunk's
// events and dead letters, and only once the broker acknowledged them all move the checkpoint past
// the chunk. A run killed at any moment therefore resumes at the first chunk not checkpointed; the
// chunk in flight may be published twice, which changes nothing in the views (same eventIds). A
// backfill whose checkpoint says done is not run again unless asked (--again).
import type { BackfillRecord } from '../../schemas/control.js';
import { topics, type OutgoingMessage } from '../../schemas/topics.js';
import { outcomeOf, type Destinations, type EventContext, type Outcome } from './events.js';
import type { Chunk, Source, SourceItem } from './sources.js';

export interface Publisher {
  /** Resolves once the broker acknowledged every message (acks=all); rejects otherwise. */
  publish(messages: OutgoingMessage[]): Promise<void>;
}

/** Checkpoints by key; `put` resolves once the record is durable. */
export interface CheckpointStore {
  get(key: string): Promise<BackfillRecord | undefined>;
  put(key: string, record: BackfillRecord): Promise<void>;
}

/** What this run did (a resumed run counts from where it resumed). */
export interface RunCounts {
  chunks: number;
  read: number;
  published: number;
  deadLettered: number;
  /** Dead letters by reason. */
  reasons: Record<string, number>;
}

export interface BackfillOptions {
  /** The checkpoint's key: what was asked (backfillKey). */
  key: string;
  workspace: string;
  /** Run from the start even though a checkpoint says done (or part-done). */
  again: boolean;
  /** Builds the source; given the checkpoint a resumed run goes on from, so it reads the same range. */
  source: (resuming: BackfillRecord | undefined) => Source;
  publisher: Publisher;
  checkpoints: CheckpointStore;
  /** INGRESS_BODY_LIMIT_BYTES: the same bound as a webhook's. */
  bodyLimitBytes: number;
  /** The pipeline's topics unless a test gives its own (the platform source: its own events topic). */
  to?: Destinations;
  /** What an item read becomes: a request event (outcomeOf) unless said (the platform source). */
  outcome?: (item: SourceItem, ctx: EventContext) => Outcome;
  /** Told what the run does that an operator should know (resuming). */
  say: (line: string) => void;
  /** Told after each chunk. */
  onProgress?: (record: BackfillRecord, source: Source) => void;
  now?: () => Date;
}

export type BackfillReport =
  | { outcome: 'already done'; record: BackfillRecord }
  | { outcome: 'done'; record: BackfillRecord; run: RunCounts; resumedAt?: number };

const pipelineDestinations: Destinations = { events: topics.requestEvents.name, deadLetter: topics.deadLetter.name };

/** Where the platform source's events go: the platform webhook's topic. */
export const platformDestinations: Destinations = {
  events: topics.platformEvents.name,
  deadLetter: topics.deadLetter.name,
};

export const count = (n: number) => n.toLocaleString('en-US');

function freshRecord(o: BackfillOptions, source: Source, at: string): BackfillRecord {
  return {
    kind: 'backfill',
    workspace: o.workspace,
    source: source.describe,
    phase: 'running',
    unit: source.unit,
    done: 0,
    ...(source.until ? { until: source.until.toISOString() } : {}),
    read: 0,
    published: 0,
    deadLettered: 0,
    startedAt: at,
    at,
  };
}

/** Adds a chunk's outcomes to the counts of this run. */
function tally(run: RunCounts, outcomes: Outcome[]): void {
  run.chunks++;
  run.read += outcomes.length;
  for (const x of outcomes) {
    if (x.kind === 'event') run.published++;
    else {
      run.deadLettered++;
      run.reasons[x.reason] = (run.reasons[x.reason] ?? 0) + 1;
    }
  }
}

/** The checkpoint once a chunk's messages were acknowledged. */
function advance(record: BackfillRecord, chunk: Chunk, outcomes: Outcome[], at: string): BackfillRecord {
  const events = outcomes.filter((x) => x.kind === 'event').length;
  const next: BackfillRecord = {
    ...record,
    phase: chunk.last ? 'done' : 'running',
    done: chunk.done,
    read: record.read + outcomes.length,
    published: record.published + events,
    deadLettered: record.deadLettered + outcomes.length - events,
    at,
  };
  if (chunk.resume === undefined) delete next.resume;
  else next.resume = chunk.resume;
  return next;
}

/** Runs (or resumes) the backfill; see the file's opening comment for its promises. */
export async function backfill(o: BackfillOptions): Promise<BackfillReport> {
  const now = o.now ?? (() => new Date());
  const previous = await o.checkpoints.get(o.key);
  if (previous?.phase === 'done' && !o.again) return { outcome: 'already done', record: previous };
  const resuming = previous?.phase === 'running' && !o.again ? previous : undefined;
  const source = o.source(resuming);
  let record = resuming ?? freshRecord(o, source, now().toISOString());
  if (resuming) {
    o.say(`resuming at ${source.unit} ${count(resuming.done + 1)} (${count(resuming.published)} published before)`);
  }
  const run: RunCounts = { chunks: 0, read: 0, published: 0, deadLettered: 0, reasons: {} };
  const from = resuming && {
    done: resuming.done,
    ...(resuming.resume !== undefined ? { resume: resuming.resume } : {}),
  };
  for await (const chunk of source.read(from)) {
    const ctx = {
      workspace: o.workspace,
      receivedAt: now(),
      to: o.to ?? pipelineDestinations,
      bodyLimitBytes: o.bodyLimitBytes,
      from: source.describe,
    };
    const outcomes = chunk.items.map((item) => (o.outcome ?? outcomeOf)(item, ctx));
    await o.publisher.publish(outcomes.map((x) => x.message));
    record = advance(record, chunk, outcomes, now().toISOString());
    await o.checkpoints.put(o.key, record);
    tally(run, outcomes);
    o.onProgress?.(record, source);
  }
  if (record.phase !== 'done') {
    record = { ...record, phase: 'done', at: now().toISOString() };
    await o.checkpoints.put(o.key, record);
  }
  return { outcome: 'done', record, run, ...(resuming ? { resumedAt: resuming.done + 1 } : {}) };
}
