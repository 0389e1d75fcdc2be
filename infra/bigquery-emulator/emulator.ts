// The BigQuery emulator for local runs and tests: local-bigquery (PyPI; DuckDB underneath; speaks
// the BigQuery REST API that @google-cloud/bigquery uses), installed into a virtualenv under
// .local/ from the pinned requirements.lock and bound to 127.0.0.1. Why this one and not the
// others: README, "BigQuery emulator".
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { localDir, repoRoot } from '../local/paths.js';
import {
  assertPortsFree,
  killStale,
  run,
  startProcess,
  waitUntilReady,
  type ManagedProcess,
} from '../local/process.js';

const here = join(repoRoot, 'infra/bigquery-emulator');
const home = join(localDir, 'bigquery-emulator');
const venv = join(home, 'venv');
/** DuckDB looks for extensions under $HOME/.duckdb; the emulator runs with this HOME. */
const duckdbHome = join(home, 'home');

/** Where pyenv keeps its Pythons: what `pyenv root` prints, else PYENV_ROOT, else ~/.pyenv. */
async function pyenvRoots(): Promise<string[]> {
  const printed = await run('pyenv', ['root'], { stdoutOnly: true }).then(
    (out) => out.trim().split('\n').at(-1),
    () => undefined,
  );
  const roots = [printed, process.env.PYENV_ROOT, join(homedir(), '.pyenv')].filter((r): r is string => !!r);
  return [...new Set(roots)].filter((r) => existsSync(join(r, 'versions')));
}

/** local-bigquery needs Python 3.13 or newer; finds one on PATH or under pyenv. */
async function findPython(): Promise<string> {
  const candidates = ['python3.14', 'python3.13', 'python3'];
  for (const root of await pyenvRoots()) {
    for (const v of readdirSync(join(root, 'versions')).sort().reverse()) {
      candidates.push(join(root, 'versions', v, 'bin', 'python3'));
    }
  }
  const tried: string[] = [];
  for (const python of candidates) {
    const check = 'import sys; print(sys.version.split()[0]); sys.exit(0 if sys.version_info >= (3, 13) else 1)';
    const failure = await run(python, ['-c', check]).then(
      () => undefined,
      (err: Error) => err.message.split('\n').filter(Boolean).at(-1) ?? err.message,
    );
    if (!failure) return python;
    tried.push(`${python} (${failure})`);
  }
  throw new Error(
    'The BigQuery emulator (local-bigquery) needs Python 3.13 or newer, and none was found. Tried: ' +
      `${tried.join('; ')}. Install Python 3.13 and run again.`,
  );
}

/**
 * Creates the virtualenv from requirements.lock and puts the DuckDB extensions that the lock
 * brings (icu, ducklake, spatial) where DuckDB finds them without downloading. A no-op when the
 * lock is unchanged since the last install.
 */
export async function installEmulator(): Promise<void> {
  const lock = readFileSync(join(here, 'requirements.lock'));
  const digest = createHash('sha256').update(lock).digest('hex');
  const stamp = join(venv, '.requirements.sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  await run(await findPython(), ['-m', 'venv', '--clear', venv]);
  const pip = join(venv, 'bin', 'pip');
  await run(pip, ['install', '--quiet', '--disable-pip-version-check', '-r', join(here, 'requirements.lock')]);

  const sitePackages = join(
    venv,
    'lib',
    readdirSync(join(venv, 'lib')).find((d) => d.startsWith('python'))!,
    'site-packages',
  );
  const platform = `linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}`;
  for (const pkg of readdirSync(sitePackages).filter(
    (d) => d.startsWith('duckdb_extension_') && !d.endsWith('.dist-info'),
  )) {
    const versions = join(sitePackages, pkg, 'extensions');
    for (const version of readdirSync(versions)) {
      const target = join(duckdbHome, '.duckdb', 'extensions', version, platform);
      mkdirSync(target, { recursive: true });
      for (const file of readdirSync(join(versions, version)).filter((f) => f.endsWith('.duckdb_extension'))) {
        copyFileSync(join(versions, version, file), join(target, file));
      }
    }
  }
  writeFileSync(stamp, digest);
}

/**
 * The most one append to the emulator may carry (BIGQUERY_APPEND_MAX_BYTES): its gRPC server takes
 * messages of 4 MiB (4,194,304 bytes); the rest is left for the request's framing and schema.
 */
export const emulatorAppendMaxBytes = 4_000_000;

export interface EmulatorOptions {
  /** DuckDB files; kept across restarts so a stopped emulator loses nothing. */
  dataDir: string;
  port: number;
  grpcPort: number;
  /** The project the emulator serves; clients must use the same id. */
  project: string;
  /** Start from empty storage (tests); otherwise datasets and rows survive restarts. */
  fresh?: boolean;
}

export interface LocalEmulator {
  readonly endpoint: string;
  /** The Storage Write API's address (host:port, plaintext gRPC). */
  readonly storageEndpoint: string;
  readonly project: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/** Answers true once the REST API lists the project's datasets (its first request loads DuckDB). */
export async function emulatorAnswers(endpoint: string, project: string): Promise<boolean> {
  const res = await fetch(`${endpoint}/bigquery/v2/projects/${project}/datasets`, {
    signal: AbortSignal.timeout(5000),
  });
  return res.ok;
}

/** Installs if needed, starts the emulator, and resolves once its REST API answers. */
export async function startEmulator(o: EmulatorOptions): Promise<LocalEmulator> {
  await installEmulator();
  const pidFile = join(o.dataDir, 'emulator.pid');
  const state = join(o.dataDir, 'state');
  killStale(pidFile);
  await assertPortsFree('bigquery emulator', [o.port, o.grpcPort]);
  if (o.fresh) rmSync(state, { recursive: true, force: true });
  mkdirSync(state, { recursive: true });
  const proc = startProcess({
    name: `bigquery emulator (127.0.0.1:${o.port})`,
    // local-bigquery's own command, through serve.py: it takes a write stream's calls in turn, as
    // BigQuery does (see there).
    command: join(venv, 'bin', 'python'),
    args: [
      join(here, 'serve.py'),
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(o.port),
      '--grpc-port',
      String(o.grpcPort),
      '--project',
      o.project,
      '--data-dir',
      state,
    ],
    logFile: join(o.dataDir, 'emulator.log'),
    pidFile,
    env: { HOME: duckdbHome },
    ownProcessGroup: true,
  });
  const endpoint = `http://127.0.0.1:${o.port}`;
  await waitUntilReady(proc, () => emulatorAnswers(endpoint, o.project), 120_000);
  const storageEndpoint = `127.0.0.1:${o.grpcPort}`;
  return { endpoint, storageEndpoint, project: o.project, process: proc, stop: () => proc.stop() };
}
