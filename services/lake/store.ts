// Where the lake's files live, behind one small interface: a local folder (the default) or a
// Google Cloud Storage bucket (LAKE_DIR=gs://bucket/prefix). Everything above it (the sink, the
// generations, compaction, DuckDB) speaks in keys, paths relative to the lake's root with '/'.
//
// How a file becomes visible exactly once differs, and is the whole reason for the interface:
//   local: written hidden beside its name, fsynced and renamed into place;
//   bucket: written to this instance's scratch folder, then uploaded under its final name with
//           ifGenerationMatch: 0, so the object appears whole and is never replaced by another writer.
import type { Row } from '../../schemas/flattener.js';
import type { TableDeclaration } from '../../schemas/table.js';

export type LakeLocation =
  | { kind: 'local'; dir: string }
  | {
      kind: 'gcs';
      bucket: string;
      /** Key prefix inside the bucket, without a trailing '/' ('' for the bucket's root). */
      prefix: string;
      /** A GCS API endpoint other than Google's (fake-gcs-server locally), e.g. http://127.0.0.1:4443. */
      endpoint?: string;
      /** HMAC keys DuckDB reads the bucket with on Google Cloud (the services use the credential chain). */
      hmac?: { keyId: string; secret: string };
    };

export class LakeLocationError extends Error {}

/** Reads LAKE_DIR: `gs://bucket[/prefix]` is a bucket, anything else a local folder. */
export function parseLakeLocation(
  value: string,
  endpoint?: string,
  hmac?: { keyId: string; secret: string },
): LakeLocation {
  if (!/^[a-z0-9]+:\/\//i.test(value)) return { kind: 'local', dir: value };
  const m = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(?:\/(.*))?$/.exec(value);
  if (!m) {
    throw new LakeLocationError(
      `LAKE_DIR: '${value}' is neither a folder nor gs://<bucket>[/<prefix>] (bucket names are lower-case ` +
        'letters, digits, dots, dashes and underscores); give e.g. ./data/lake or gs://my-bucket/lake',
    );
  }
  return { kind: 'gcs', bucket: m[1]!, prefix: (m[2] ?? '').replace(/\/+$/, ''), endpoint, hmac };
}

export function describeLocation(l: LakeLocation): string {
  return l.kind === 'local' ? l.dir : `gs://${l.bucket}${l.prefix ? `/${l.prefix}` : ''}`;
}

export interface StoredFile {
  key: string;
  bytes: number;
  /** A local file still being written (or left so by a crash), listed under the name it will have. */
  inProgress?: boolean;
}

export interface LakeStore {
  readonly location: LakeLocation;
  /**
   * Writes `rows` as one Parquet file at `key`, visible whole or not at all. A file already at
   * `key` is an error, except when it is this writer's own earlier attempt (see the stores).
   */
  writeParquet(table: TableDeclaration, rows: Row[], key: string): Promise<{ rows: number; bytes: number }>;
  /** Makes a finished local file visible at `key` (compaction's output); the local file is consumed. */
  publishFile(localPath: string, key: string): Promise<void>;
  /**
   * Every file under `prefix` (a folder key, '/'-terminated or not), with its size. Files still being
   * written locally (hidden, '.'-prefixed) are listed too, under the key they will have: a crash
   * can leave one, and the resume step must find it.
   */
  list(prefix: string): Promise<StoredFile[]>;
  remove(key: string): Promise<void>;
  /** Removes everything under a folder key. */
  removeAll(prefix: string): Promise<void>;
  readText(key: string): Promise<string | undefined>;
  /** Writes a small text object, replacing any before it in one step. */
  writeText(key: string, text: string): Promise<void>;
  /** Writes a small text object only if none is at `key`; false if one was. */
  createText(key: string, text: string): Promise<boolean>;
  /** What DuckDB reads for `key`: a file path or a gs:// URL. */
  url(key: string): string;
  /** A local folder for work files (compaction's output before upload). */
  scratchDir(): string;
}

/** Joins key parts with '/', ignoring empty ones. */
export const keyOf = (...parts: string[]): string => parts.filter((p) => p !== '').join('/');
