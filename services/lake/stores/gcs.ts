// The lake in a Google Cloud Storage bucket (or fake-gcs-server, given its endpoint). There is no
// rename: a file is written whole in this instance's scratch folder, then uploaded under its final,
// deterministic name with ifGenerationMatch: 0. GCS makes an object visible only once its upload
// completes, and the precondition means no writer ever replaces an object another wrote.
//
// A 412 (the object exists) on an upload is this writer's own earlier attempt whose answer was
// lost and retried: the names carry the writing instance's random id (the sink) or the digest of
// the compaction's inputs, so nobody else writes that name with other rows.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bucket } from '@google-cloud/storage';
import { writeParquetFile } from '../parquet/writer.js';
import { keyOf, type LakeLocation, type LakeStore } from '../store.js';

type GcsLocation = Extract<LakeLocation, { kind: 'gcs' }>;

/** Uploads larger than this go resumable (a lost connection resumes instead of starting over). */
const resumableFrom = 8 * 1024 * 1024;

const statusOf = (err: unknown): number | undefined => (err as { code?: unknown }).code as number | undefined;

/**
 * The bucket's client. @google-cloud/storage is loaded on first use, not with this module: a
 * service writing a lake in a local folder never needs it, and loading it took about 0.3 CPU-s of
 * every service's start.
 */
export async function gcsBucket(location: GcsLocation): Promise<Bucket> {
  const { Storage } = await import('@google-cloud/storage');
  const storage = location.endpoint
    ? // An emulator: no credentials, and its own endpoint for every call, uploads included.
      new Storage({ apiEndpoint: location.endpoint, projectId: 'local', useAuthWithCustomEndpoint: false })
    : new Storage();
  return storage.bucket(location.bucket);
}

/**
 * A scratch folder of this process's own under `base`, after removing those of processes that are
 * gone (a killed instance's half-written files).
 */
function processScratch(base: string): string {
  if (existsSync(base)) {
    for (const d of readdirSync(base)) {
      const pid = Number(/^(\d+)-/.exec(d)?.[1]);
      if (Number.isInteger(pid) && !alive(pid)) void rm(join(base, d), { recursive: true, force: true });
    }
  }
  return join(base, `${process.pid}-${randomBytes(4).toString('hex')}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Uploads a finished local file as `name`, never over an existing object; resolves with its size. */
async function uploadOnce(bucket: Bucket, localPath: string, name: string): Promise<number> {
  const { size } = await stat(localPath);
  try {
    await bucket.upload(localPath, {
      destination: name,
      resumable: size > resumableFrom,
      preconditionOpts: { ifGenerationMatch: 0 },
      metadata: { contentType: 'application/vnd.apache.parquet' },
    });
  } catch (err) {
    if (statusOf(err) !== 412) throw err;
  }
  return size;
}

/** Small JSON objects (manifests, generation pointers): read, replace, or create only if absent. */
function textObjects(bucket: () => Promise<Bucket>, nameOf: (key: string) => string) {
  const save = async (key: string, text: string, ifAbsent: boolean) =>
    (await bucket()).file(nameOf(key)).save(text, {
      resumable: false,
      contentType: 'application/json',
      ...(ifAbsent ? { preconditionOpts: { ifGenerationMatch: 0 } } : {}),
    });
  return {
    async readText(key: string) {
      try {
        const [data] = await (await bucket()).file(nameOf(key)).download();
        return data.toString('utf8');
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },
    writeText: (key: string, text: string) => save(key, text, false),
    async createText(key: string, text: string) {
      try {
        await save(key, text, true);
        return true;
      } catch (err) {
        if (statusOf(err) === 412) return false;
        throw err;
      }
    },
  };
}

export function gcsStore(location: GcsLocation, scratchBase = join(tmpdir(), 'thena-lake-scratch')): LakeStore {
  let client: Promise<Bucket> | undefined;
  const bucket = () => (client ??= gcsBucket(location));
  const scratch = processScratch(scratchBase);
  const nameOf = (key: string) => keyOf(location.prefix, key);
  const folderName = (prefix: string) => nameOf(prefix).replace(/\/?$/, '/');
  const strip = location.prefix ? location.prefix.length + 1 : 0;

  return {
    location,
    ...textObjects(bucket, nameOf),
    async writeParquet(table, rows, key) {
      const local = join(scratch, `${randomBytes(6).toString('hex')}.parquet`);
      try {
        const written = await writeParquetFile(table, rows, local);
        await uploadOnce(await bucket(), local, nameOf(key));
        return written;
      } finally {
        await rm(local, { force: true });
      }
    },
    async publishFile(localPath, key) {
      await uploadOnce(await bucket(), localPath, nameOf(key));
      await rm(localPath, { force: true });
    },
    async list(prefix) {
      const [files] = await (await bucket()).getFiles({ prefix: folderName(prefix), autoPaginate: true });
      return files.map((f) => ({ key: f.name.slice(strip), bytes: Number(f.metadata.size ?? 0) }));
    },
    async remove(key) {
      await (await bucket()).file(nameOf(key)).delete({ ignoreNotFound: true });
    },
    async removeAll(prefix) {
      await (await bucket()).deleteFiles({ prefix: folderName(prefix), force: true });
    },
    url: (key) => `gs://${location.bucket}/${nameOf(key)}`,
    scratchDir: () => scratch,
  };
}

/** Creates the bucket if it is not there (for the emulator; on Google Cloud, operators create it). */
export async function ensureBucket(location: GcsLocation): Promise<void> {
  const bucket = await gcsBucket(location);
  const [exists] = await bucket.exists();
  if (!exists) {
    await bucket.create().catch((err: unknown) => {
      if (statusOf(err) !== 409) throw err;
    });
  }
}
