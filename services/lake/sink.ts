// The lake sink: each batch becomes one Parquet file per day of its rows, named from the Kafka
// partition, the batch's first offset and the writing sink instance:
//   <table folder>/dt=YYYY-MM-DD/p<partition>-o<first offset, 20 digits>-<writer id>.parquet
// The store makes each file visible whole and once (a rename locally, a conditional upload to a
// bucket: stores/). Offsets are committed after that; on (re)assignment, files of the partition
// that start at or past the resume offset were never committed and are removed.
//
// The writer id keeps two instances that both believe they own a partition (one stalled past its
// session, the other already assigned) from writing the same file name: without it, the stalled
// one's late file could replace a file the other had committed, losing rows. With it, the late
// file only repeats rows, which the views remove.
import { randomBytes } from 'node:crypto';
import type { Row } from '../../schemas/flattener.js';
import type { Sink, SinkBatch } from '../../schemas/sink.js';
import type { TableDeclaration } from '../../schemas/table.js';
import { keyOf, type LakeStore } from './store.js';
import { localStore } from './stores/local.js';

const fileName = (partition: number, firstOffset: string, writer: string) =>
  `p${partition}-o${firstOffset.padStart(20, '0')}-${writer}.parquet`;
/** Also matches names without a writer id, as files written before it was added are. */
export const lakeFilePattern = /^p(\d+)-o(\d{20})(?:-[0-9a-f]{8})?\.parquet$/;

/** The UTC day of a microsecond timestamp, as the dt= folder names it. */
export function dayOf(micros: bigint): string {
  return new Date(Number(micros / 1000n)).toISOString().slice(0, 10);
}

export interface ParquetSinkOptions {
  table: TableDeclaration;
  /** Where the lake is; a local folder `lakeDir` when not given. */
  store?: LakeStore;
  lakeDir?: string;
  /** The folder key of the generation to write; `<table>` (a lake without generations) by default. */
  folder?: string;
  /** Called with each file made visible, for metrics. */
  onFile?: (key: string, rows: number, bytes: number) => void;
  /** 8 hex digits naming this writer in its files; random by default. */
  writerId?: string;
}

export function parquetSink(opts: ParquetSinkOptions): Sink {
  const store = opts.store ?? localStore(opts.lakeDir ?? '.');
  const folder = opts.folder ?? opts.table.name;
  const column = opts.table.partitionColumn;
  const writer = opts.writerId ?? randomBytes(4).toString('hex');
  const keyFor = (day: string, partition: number, firstOffset: string) =>
    keyOf(folder, `dt=${day}`, fileName(partition, firstOffset, writer));

  const byDay = (rows: Row[]) => {
    const days = new Map<string, Row[]>();
    for (const row of rows) {
      const day = dayOf(row[column] as bigint);
      const list = days.get(day);
      if (list) list.push(row);
      else days.set(day, [row]);
    }
    return days;
  };

  /** Files of `partition` whose first offset is at or past `offset` (a crash's temp files included). */
  const filesFrom = async (partition: number, offset: bigint): Promise<string[]> =>
    (await store.list(folder))
      .map((f) => f.key)
      .filter((key) => {
        const m = lakeFilePattern.exec(key.slice(key.lastIndexOf('/') + 1));
        return m !== null && Number(m[1]) === partition && BigInt(m[2]!) >= offset;
      });

  return {
    name: 'parquet',
    async prepare(partition, resumeOffset) {
      for (const key of await filesFrom(partition, BigInt(resumeOffset))) await store.remove(key);
    },
    async writeBatch(batch: SinkBatch) {
      for (const [day, rows] of byDay(batch.rows)) {
        const key = keyFor(day, batch.partition, batch.firstOffset);
        const written = await store.writeParquet(opts.table, rows, key);
        opts.onFile?.(key, written.rows, written.bytes);
      }
      // Parquet takes any row its schema describes: nothing is refused.
      return { refused: [] };
    },
    async discard(batch: SinkBatch) {
      for (const day of byDay(batch.rows).keys()) await store.remove(keyFor(day, batch.partition, batch.firstOffset));
    },
    async close() {},
  };
}
