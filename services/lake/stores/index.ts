// Opens the store LAKE_DIR names: a local folder or a bucket.
import type { Config } from '../../shared/config.js';
import { parseLakeLocation, type LakeLocation, type LakeStore } from '../store.js';
import { gcsStore } from './gcs.js';
import { localStore } from './local.js';

export interface StoreOptions {
  /** Local scratch folder for files on their way to a bucket (one per machine or instance). */
  scratchDir?: string;
}

export function openStore(location: LakeLocation, opts: StoreOptions = {}): LakeStore {
  return location.kind === 'local' ? localStore(location.dir) : gcsStore(location, opts.scratchDir);
}

type LakeConfig = Pick<
  Config,
  'LAKE_DIR' | 'GCS_API_ENDPOINT' | 'LAKE_GCS_HMAC_KEY_ID' | 'LAKE_GCS_HMAC_SECRET' | 'LAKE_SCRATCH_DIR'
>;

/** The lake the configuration names. */
export function lakeStoreFrom(config: LakeConfig): LakeStore {
  const hmac =
    config.LAKE_GCS_HMAC_KEY_ID && config.LAKE_GCS_HMAC_SECRET
      ? { keyId: config.LAKE_GCS_HMAC_KEY_ID, secret: config.LAKE_GCS_HMAC_SECRET }
      : undefined;
  return openStore(parseLakeLocation(config.LAKE_DIR, config.GCS_API_ENDPOINT, hmac), {
    scratchDir: config.LAKE_SCRATCH_DIR,
  });
}

export { ensureBucket } from './gcs.js';
