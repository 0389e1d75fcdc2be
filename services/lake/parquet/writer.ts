// Writes one lake file with parquetjs-lite, complete or not at all: rows go to a hidden temp file
// beside the final path, which is fsynced, renamed into place, and the directory fsynced. A reader
// listing the directory sees no file or the whole file (CONTRACT: files in progress are hidden).
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import parquet from 'parquetjs-lite';
import type { ParquetCompression } from 'parquetjs-lite';
import type { TableDeclaration } from '../../../schemas/table.js';
import { parquetSchemas, recordEncoder, type TableParquetSchemas } from './schema.js';

/** parquetjs-lite's own default is 4,096 rows, which makes DuckDB scans pay per-group overhead. */
export const DEFAULT_ROW_GROUP_SIZE = 65_536;
export const DEFAULT_COMPRESSION: ParquetCompression = 'SNAPPY';

export interface ParquetWriteOptions {
  /** Rows per row group (default DEFAULT_ROW_GROUP_SIZE). */
  rowGroupSize?: number;
  /** Codec of every column chunk (default DEFAULT_COMPRESSION). */
  compression?: ParquetCompression;
}

export interface ParquetWriteResult {
  rows: number;
  /** Size of the final file. */
  bytes: number;
}

/** The hidden path a file is written under before the rename: same directory, '.' + name + a unique suffix + '.tmp'. */
export function tempPathFor(finalPath: string): string {
  // Unique per call: two writers racing for one final path (a consumer that lost its partition
  // and the one that took it over) each rename a whole file of their own, never a mix.
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  return join(dirname(finalPath), `.${basename(finalPath)}.${suffix}.tmp`);
}

const tempNamePattern = /^\.(.+)\.\d+-[0-9a-f]{8}\.tmp$/;

/** For a file name made by tempPathFor, the name of the final file it becomes; otherwise undefined. */
export function tempFileTarget(name: string): string | undefined {
  return tempNamePattern.exec(name)?.[1];
}

/**
 * parquetjs-lite builds the footer's schema elements from `this.schema` inside writeFooter,
 * synchronously; swapping in the footer schema for that call annotates TIMESTAMP columns
 * without touching how their pages were encoded.
 */
class LakeEnvelopeWriter extends parquet.ParquetEnvelopeWriter {
  constructor(
    private readonly schemas: TableParquetSchemas,
    write: (chunk: Buffer) => Promise<void>,
    close: () => Promise<void>,
  ) {
    // V1 pages: every Parquet reader supports them, while support for V2 varies, and BigQuery
    // must read these files too. No page index: parquetjs-lite's ColumnIndex lacks fields
    // Parquet requires (null_pages, boundary_order).
    super(schemas.write, write, close, 0, { useDataPageV2: false, pageIndex: false });
  }

  override writeFooter(userMetadata?: Record<string, string>): Promise<void> {
    this.schema = this.schemas.footer;
    try {
      return super.writeFooter(userMetadata);
    } finally {
      this.schema = this.schemas.write;
    }
  }
}

/**
 * Appends chunks to the file in call order. parquetjs-lite does not await every write (the
 * header's, for one), so writes are chained rather than issued side by side.
 */
function fileSink(fh: FileHandle) {
  let bytes = 0;
  let tail: Promise<void> = Promise.resolve();
  const append = async (chunk: Buffer) => {
    for (let done = 0; done < chunk.length;) {
      const { bytesWritten } = await fh.write(chunk, done, chunk.length - done, null);
      done += bytesWritten;
    }
    bytes += chunk.length;
  };
  return {
    write(chunk: Buffer): Promise<void> {
      tail = tail.then(() => append(chunk));
      // An unawaited write's failure still reaches us through every later write and drain().
      tail.catch(() => undefined);
      return tail;
    },
    drain: () => tail,
    bytes: () => bytes,
  };
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Directories whose entries changed when mkdir created `firstCreated` on the way to `dir`, outermost first. */
function changedParents(dir: string, firstCreated: string | undefined): string[] {
  if (firstCreated === undefined) return [];
  const parents: string[] = [];
  const stop = dirname(firstCreated);
  for (let d = dir; d !== stop && d !== dirname(d); d = dirname(d)) parents.unshift(dirname(d));
  return parents;
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(`parquetjs-lite: ${String(err)}`));

/**
 * Writes `rows` (schemas/tables.ts conventions) as one Parquet file at finalPath, creating its
 * directory. Resolves once the file and its directory entry are durable; rejects, leaving no
 * temp file and any previous finalPath untouched, on a bad row (ParquetRowError) or an I/O error.
 */
export async function writeParquetFile(
  table: TableDeclaration,
  rows: Record<string, unknown>[],
  finalPath: string,
  opts: ParquetWriteOptions = {},
): Promise<ParquetWriteResult> {
  const rowGroupSize = opts.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!Number.isSafeInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new RangeError(`rowGroupSize: ${rowGroupSize} is not a positive integer`);
  }
  const encode = recordEncoder(table);
  const schemas = parquetSchemas(table, opts.compression ?? DEFAULT_COMPRESSION);
  // Absolute, so changedParents compares like with like.
  const target = resolve(finalPath);
  const dir = dirname(target);
  const firstCreated = await mkdir(dir, { recursive: true });
  const tempPath = tempPathFor(target);
  const fh = await open(tempPath, 'wx');
  let fileOpen = true;
  const sink = fileSink(fh);
  try {
    const writer = new parquet.ParquetWriter(schemas.write, new LakeEnvelopeWriter(schemas, sink.write, sink.drain), {
      rowGroupSize,
    });
    for (let i = 0; i < rows.length; i++) await writer.appendRow(encode(rows[i]!, i));
    await writer.close();
    await fh.sync();
    fileOpen = false;
    await fh.close();
    await rename(tempPath, target);
    for (const d of [...changedParents(dir, firstCreated), dir]) await syncDirectory(d);
    return { rows: rows.length, bytes: sink.bytes() };
  } catch (err) {
    if (fileOpen) {
      await sink.drain().catch(() => undefined);
      await fh.close().catch(() => undefined);
    }
    await rm(tempPath, { force: true }).catch(() => undefined);
    throw asError(err);
  }
}
