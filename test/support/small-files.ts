// A lake as the consumers leave it after days of traffic: many small files per day and table,
// written through the real sink (flatteners over envelopes the ingress's code builds). For the
// compaction tests and bench/compaction.ts.
import type { TableDefinition } from '../../schemas/table.js';
import { topics } from '../../schemas/topics.js';
import { lakeGenerations, type LakeStore } from '../../services/lake/index.js';
import { catalogue } from '../../tables/catalogue.js';
import type { Row } from '../../schemas/flattener.js';
import type { Sink } from '../../schemas/sink.js';
import { envelopeMessage } from '../fixtures/envelopes.js';
import { lifecycle } from '../fixtures/lifecycle.js';

/** The tables the request webhooks fill. */
export const requestTables = catalogue.filter((t) => t.consumer.topic === topics.requestEvents.name);

export interface SmallFilesOptions {
  /** UTC days, YYYY-MM-DD. */
  days: string[];
  filesPerDay: number;
  /** Requests (six webhooks each) per file. */
  requestsPerFile: number;
  tables?: readonly TableDefinition[];
  /** Files written at once. */
  concurrency?: number;
  /** The first digit of the request ids (1 to 8), so two calls can write different requests. */
  idDigit?: number;
  /** Where each table's rows go; the store's generation 1 by default (BigQuery's sink, say). */
  sinkFor?: (table: TableDefinition) => Sink | Promise<Sink>;
}

/** Writes the files; returns how many were written. */
export async function writeSmallFiles(store: LakeStore, o: SmallFilesOptions): Promise<number> {
  const tables = o.tables ?? requestTables;
  const generations = lakeGenerations(store);
  const sinkFor = o.sinkFor ?? ((t: TableDefinition) => generations.writer(t, 1));
  const sinks = new Map(await Promise.all(tables.map(async (t) => [t, await sinkFor(t)] as const)));
  const jobs: (() => Promise<void>)[] = [];
  let offset = 0;
  for (const [d, day] of o.days.entries()) {
    for (let f = 0; f < o.filesPerDay; f++) {
      const first = offset;
      const messages = [];
      for (let r = 0; r < o.requestsPerFile; r++) {
        const id = `${(o.idDigit ?? 1) + d}${String(f).padStart(5, '0')}${String(r).padStart(4, '0')}`;
        // Created during the day, its six steps a minute apart: all within the day.
        const at = new Date(Date.parse(`${day}T00:00:00Z`) + ((f * o.requestsPerFile + r) % 80_000) * 1000);
        for (const body of lifecycle(id, 6, 'TEAM1', at).bodies) messages.push(envelopeMessage(body, offset++, at));
      }
      for (const table of tables) {
        const rows: Row[] = messages.flatMap((m) => {
          const out = table.consumer.flatten(m);
          return out.kind === 'rows' ? out.rows : [];
        });
        const batch = { partition: 0, firstOffset: String(first), lastOffset: String(offset - 1), rows };
        jobs.push(async () => void (await sinks.get(table)!.writeBatch(batch)));
      }
    }
  }
  const concurrency = o.concurrency ?? 8;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) await jobs[next++]!();
    }),
  );
  return jobs.length;
}
