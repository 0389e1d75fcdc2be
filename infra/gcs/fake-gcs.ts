// Object storage for local runs and tests: fake-gcs-server (github.com/fsouza/fake-gcs-server),
// which speaks the GCS JSON API that @google-cloud/storage and DuckDB's httpfs use. It has no npm
// or PyPI package, so infra:install builds the pinned version from the Go module proxy into
// .local/fake-gcs-server (3-4 minutes on two cores, once). It keeps objects on disk
// (-backend filesystem), so a restart loses nothing, and binds to 127.0.0.1 over plain HTTP.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { localDir } from '../local/paths.js';
import {
  assertPortsFree,
  killStale,
  run,
  startProcess,
  waitUntilReady,
  type ManagedProcess,
} from '../local/process.js';

export const fakeGcsVersion = 'v1.56.1';
const home = join(localDir, 'fake-gcs-server');
const binary = join(home, fakeGcsVersion, 'fake-gcs-server');

/** Builds fake-gcs-server with `go install` unless this version is already built. */
export async function installFakeGcs(): Promise<string> {
  if (existsSync(binary)) return binary;
  const gobin = join(home, fakeGcsVersion);
  mkdirSync(gobin, { recursive: true });
  await run('go', ['install', `github.com/fsouza/fake-gcs-server@${fakeGcsVersion}`], {
    env: { GOBIN: gobin, CGO_ENABLED: '0', GOFLAGS: '-modcacherw', GOTOOLCHAIN: 'local' },
  }).catch((err: Error) => {
    throw new Error(
      `building fake-gcs-server ${fakeGcsVersion} with Go failed (it needs Go 1.24+ and the Go module proxy): ${err.message}`,
    );
  });
  if (!existsSync(binary)) throw new Error(`go install finished but ${binary} is missing`);
  return binary;
}

export interface FakeGcsOptions {
  /** Objects live under dataDir/objects; kept across restarts. */
  dataDir: string;
  port: number;
  /** Buckets to create if absent. */
  buckets: string[];
  fresh?: boolean;
}

export interface LocalFakeGcs {
  /** For @google-cloud/storage's apiEndpoint and GCS_API_ENDPOINT. */
  readonly endpoint: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startFakeGcs(o: FakeGcsOptions): Promise<LocalFakeGcs> {
  const bin = await installFakeGcs();
  const pidFile = join(o.dataDir, 'fake-gcs.pid');
  const objects = join(o.dataDir, 'objects');
  killStale(pidFile);
  await assertPortsFree('fake-gcs-server', [o.port]);
  if (o.fresh) rmSync(objects, { recursive: true, force: true });
  // With the filesystem backend, each top-level folder is a bucket.
  for (const bucket of o.buckets) mkdirSync(join(objects, bucket), { recursive: true });
  const endpoint = `http://127.0.0.1:${o.port}`;
  const proc = startProcess({
    name: `fake-gcs-server (127.0.0.1:${o.port})`,
    command: bin,
    args: [
      '-scheme',
      'http',
      '-host',
      '127.0.0.1',
      '-port',
      String(o.port),
      '-backend',
      'filesystem',
      '-filesystem-root',
      objects,
      // Resumable uploads answer with a URL to continue at: this one.
      '-external-url',
      endpoint,
      // Path-style downloads (/<bucket>/<object>, as DuckDB's httpfs reads) are served for this host only.
      '-public-host',
      `127.0.0.1:${o.port}`,
      '-log-level',
      'warn',
    ],
    logFile: join(o.dataDir, 'fake-gcs.log'),
    pidFile,
    ownProcessGroup: true,
  });
  const answers = async () => (await fetch(`${endpoint}/storage/v1/b`, { signal: AbortSignal.timeout(3000) })).ok;
  await waitUntilReady(proc, answers, 30_000);
  return { endpoint, process: proc, stop: () => proc.stop() };
}
