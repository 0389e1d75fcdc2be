// The lake sink: each batch becomes one Parquet file per day of its rows, named from the Kafka
// partition, the batch's first offset and the writing sink instance:
//   <LAKE_DIR>/<table>/dt=YYYY-MM-DD/p<partition>-o<first offset, 20 digits>-<writer id>.parquet
// A file is written hidden, fsynced and renamed into place (writeParquetFile), so readers see
// whole files only. Offsets are committed after the rename; on (re)assignment, files of the
// partition that start at or past the resume offset were never committed and are removed.
//
// The writer id keeps two instances that both believe they own a partition (one stalled past its
// session, the other already assigned) from writing the same file name: without it, the stalled
// one's late rename could replace a file the other had committed, losing rows. With it, the late
// file only repeats rows, which the views remove.
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Row } from '../../schemas/flattener.js';
import type { Sink, SinkBatch } from '../../schemas/sink.js';
import type { TableDeclaration } from '../../schemas/table.js';
import { tempFileTarget, writeParquetFile } from './parquet/writer.js';

const fileName = (partition: number, firstOffset: string, writer: string) =>
  `p${partition}-o${firstOffset.padStart(20, '0')}-${writer}.parquet`;
/** Also matches names without a writer id, as files written before it was added are. */
export const lakeFilePattern = /^p(\d+)-o(\d{20})(?:-[0-9a-f]{8})?\.parquet$/;

/** The UTC day of a microsecond timestamp, as the dt= folder names it. */
export function dayOf(micros: bigint): string {
  return new Date(Number(micros / 1000n)).toISOString().slice(0, 10);
}

export interface ParquetSinkOptions {
  lakeDir: string;
  table: TableDeclaration;
  /** The folder of the generation to write; `<lakeDir>/<table>` (generation 1) by default. */
  tableDir?: string;
  /** Called with each file made visible, for metrics. */
  onFile?: (path: string, rows: number, bytes: number) => void;
  /** 8 hex digits naming this writer in its files; random by default. */
  writerId?: string;
}

export function parquetSink(opts: ParquetSinkOptions): Sink {
  const tableDir = opts.tableDir ?? join(opts.lakeDir, opts.table.name);
  const column = opts.table.partitionColumn;
  const writer = opts.writerId ?? randomBytes(4).toString('hex');

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

  /** Files of `partition` (visible or hidden) whose first offset is at or past `offset`. */
  const filesFrom = async (partition: number, offset: bigint): Promise<string[]> => {
    const dayDirs = await readdir(tableDir).catch(() => [] as string[]);
    const found: string[] = [];
    for (const day of dayDirs.filter((d) => d.startsWith('dt='))) {
      for (const file of await readdir(join(tableDir, day)).catch(() => [] as string[])) {
        // A hidden temporary file left by a crash counts as the file it was to become.
        const m = lakeFilePattern.exec(tempFileTarget(file) ?? file);
        if (m && Number(m[1]) === partition && BigInt(m[2]!) >= offset) found.push(join(tableDir, day, file));
      }
    }
    return found;
  };

  return {
    name: 'parquet',
    async prepare(partition, resumeOffset) {
      for (const file of await filesFrom(partition, BigInt(resumeOffset))) await rm(file, { force: true });
    },
    async writeBatch(batch: SinkBatch) {
      for (const [day, rows] of byDay(batch.rows)) {
        const path = join(tableDir, `dt=${day}`, fileName(batch.partition, batch.firstOffset, writer));
        const written = await writeParquetFile(opts.table, rows, path);
        opts.onFile?.(path, written.rows, written.bytes);
      }
      // Parquet takes any row its schema describes: nothing is refused.
      return { refused: [] };
    },
    async discard(batch: SinkBatch) {
      for (const day of byDay(batch.rows).keys()) {
        await rm(join(tableDir, `dt=${day}`, fileName(batch.partition, batch.firstOffset, writer)), { force: true });
      }
    },
    async close() {},
  };
}
