// The fault suite's BigQuery emulator starts from a copy of a migrated state, made once for the
// declaration: each fault file would otherwise migrate a fresh dataset before any service could
// start (about 5 s and 8 CPU-s of the emulator's, for every file). What is copied is what
// `migrate` made in this run's emulator, so a changed declaration makes a new template; migration
// itself is tested by the integration suite and `npm start`'s test.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BigQuery } from '@google-cloud/bigquery';
import { startEmulator, type EmulatorOptions, type LocalEmulator } from '../../infra/bigquery-emulator/emulator.js';
import { localDir, repoRoot } from '../../infra/local/paths.js';
import { declaredDigest, migrate, type MigrateOptions } from '../../services/bigquery/index.js';

/**
 * Starts the emulator on `dataDir` with `dataset` migrated. The emulator's catalog records its
 * files by absolute path, so a template serves one `dataDir` only: the key holds the path, the
 * declaration's digest and the emulator's pinned requirements.
 */
export async function startMigratedEmulator(
  o: Omit<EmulatorOptions, 'fresh'>,
  bq: BigQuery,
  migration: MigrateOptions,
): Promise<LocalEmulator> {
  const state = join(o.dataDir, 'state');
  const key = createHash('sha256')
    .update(o.dataDir)
    .update(migration.dataset)
    .update(declaredDigest(migration))
    .update(readFileSync(join(repoRoot, 'infra/bigquery-emulator/requirements.lock')))
    .digest('hex')
    .slice(0, 16);
  const template = join(localDir, 'test', 'emulator-templates', key);
  if (!existsSync(template)) {
    const emulator = await startEmulator({ ...o, fresh: true });
    await migrate(bq, migration).finally(() => emulator.stop());
    // Copied aside, then renamed: a run killed while copying leaves no half template.
    const partial = `${template}.${process.pid}`;
    mkdirSync(join(template, '..'), { recursive: true });
    cpSync(state, partial, { recursive: true });
    renameSync(partial, template);
  }
  rmSync(state, { recursive: true, force: true });
  cpSync(template, state, { recursive: true });
  return startEmulator({ ...o, fresh: false });
}
