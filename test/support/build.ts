// The services as the image runs them: compiled by tsc (`npm run build`'s tsconfig) into
// .local/build, with the view SQL beside them. The fault suite and the integration tests start
// service processes from here rather than from the sources under tsx: under the fault suite's load,
// tsx's loader took about half of a starting service's CPU (7–9 s of 15–20 s in a profile), and
// those suites start some 150 processes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localDir, repoRoot } from '../../infra/local/paths.js';
import { copyAssets } from '../../infra/local/copy-assets.js';

export const buildDir = join(localDir, 'build');
const marker = join(buildDir, '.built-by');

/** Node's arguments to run one of the services' entry points (`consumers/main.ts`, say) from the build. */
export const serviceArgs = (entry: string): string[] => [join(buildDir, 'services', entry.replace(/\.ts$/, '.js'))];

/** Compiles once per test run (each project's global setup calls it; the second finds it done). */
export function buildServices(): void {
  const runId = String(process.pid);
  if (existsSync(marker) && readFileSync(marker, 'utf8') === runId) return;
  const started = Date.now();
  rmSync(buildDir, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', buildDir],
    { cwd: repoRoot, stdio: 'inherit' },
  );
  copyAssets(buildDir);
  // DuckDB's extensions are looked for two folders above services/lake, under .local/duckdb (as
  // infra:install fills it beside the sources): the build finds the same folder through a link.
  mkdirSync(join(buildDir, '.local'), { recursive: true });
  symlinkSync(join(localDir, 'duckdb'), join(buildDir, '.local', 'duckdb'));
  writeFileSync(marker, runId);
  process.stdout.write(`services built into ${buildDir} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}

/** A vitest global setup: the build, before the project's files start their processes. */
export function setup(): void {
  buildServices();
}
