// Runs a table's consumer for one sink on the table's current generation, and follows a rebuild
// through the control topic (schemas/control.ts): on `freeze` it stops writing the current
// generation (writing and committing what it holds, then leaving the group), and on `switched` it
// starts writing the new one from where the rebuild left that generation's consumer group. Every
// instance of a service follows alone; the rebuild command coordinates them through the groups.
import type { ControlRecord, GenerationRecord } from '../../../schemas/control.js';
import type { GenerationStore } from '../../../schemas/sink.js';
import { startConsumer, type Readiness, type RunningConsumer, type RuntimeOptions } from './runtime.js';

export interface FollowerOptions extends Omit<RuntimeOptions, 'sink' | 'generation'> {
  store: GenerationStore;
  /** Told the table's version gap after each (re)start: declared version minus the generation's. */
  onVersion?: (behind: number) => void;
}

export class GenerationFollower implements RunningConsumer {
  private running: RunningConsumer | undefined;
  private generation = 0;
  private frozen = false;
  private stopped = false;
  private latest: GenerationRecord | undefined;
  /** Transitions one at a time, in the order the control records came. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly o: FollowerOptions) {}

  get groupId(): string {
    return this.running?.groupId ?? `${this.o.table.consumer.service}/${this.o.store.sink} (paused)`;
  }

  get bufferedRows(): number {
    return this.running?.bufferedRows ?? 0;
  }

  /** The sink this follower writes: a name that stays the same across generations. */
  get sink(): string {
    return this.o.store.sink;
  }

  /** Starts on the current generation, or stays paused if a rebuild froze it. */
  start(): Promise<void> {
    return this.enqueue(async () => {
      const current = await this.o.store.current(this.o.table);
      this.generation = current.generation;
      this.o.onVersion?.(this.o.table.version - current.version);
      this.frozen = this.latest?.phase === 'freeze' && this.latest.current === this.generation;
      if (!this.frozen) await this.run();
    });
  }

  /** A control record, in topic order; records of other tables and sinks are ignored. */
  onControl(record: ControlRecord): Promise<void> {
    if (record.kind !== 'generation' || record.table !== this.o.table.name || record.sink !== this.o.store.sink) {
      return Promise.resolve();
    }
    this.latest = record;
    if (this.generation === 0) return Promise.resolve(); // not started: start() reads `latest`
    return this.enqueue(async () => {
      if (record.phase === 'freeze' && record.current === this.generation && !this.frozen) {
        this.o.logger.info({ table: record.table, sink: record.sink }, 'a rebuild is switching: paused');
        this.frozen = true;
        await this.running?.stop();
        this.running = undefined;
      } else if ((record.phase === 'switched' || record.phase === 'done') && record.current !== this.generation) {
        await this.running?.stop();
        this.running = undefined;
        this.generation = record.current;
        this.frozen = false;
        this.o.onVersion?.(this.o.table.version - record.version);
        this.o.logger.info(
          { table: record.table, sink: record.sink, generation: record.current },
          'writing a new generation',
        );
        await this.run();
      } else if (record.phase === 'switched' && this.frozen) {
        // The rebuild was abandoned: the same generation stays current.
        this.frozen = false;
        await this.run();
      }
    });
  }

  /** Not consuming on purpose: a rebuild holds this sink paused while it switches generation. */
  get paused(): boolean {
    return this.frozen;
  }

  readiness(): Readiness {
    if (this.frozen) return { ready: false, reason: 'paused while a rebuild switches generation' };
    return this.running?.readiness() ?? { ready: false, reason: 'starting' };
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.enqueue(async () => {
      await this.running?.stop();
      this.running = undefined;
    });
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    const sink = await this.o.store.writer(this.o.table, this.generation);
    this.running = await startConsumer({ ...this.o, sink, generation: this.generation });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step);
    this.queue = next.catch((err: unknown) => {
      this.o.onFatal(
        new Error(`following a rebuild of ${this.o.table.name}: ${(err as Error).message}`, { cause: err }),
      );
    });
    return next;
  }
}
