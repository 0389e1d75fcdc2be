// DuckDB reading the lake in a bucket: its httpfs extension, installed from PyPI into
// .local/duckdb/extensions by `npm run infra:install` (never downloaded at run time), and a GCS
// secret: for fake-gcs-server its endpoint over plain HTTP; on Google Cloud, HMAC keys.
import { join } from 'node:path';
import type { LakeLocation } from './store.js';

/** Where DuckDB looks for extensions: the folder infra:install fills. */
export function duckdbExtensionDir(): string {
  return join(import.meta.dirname, '../../.local/duckdb/extensions');
}

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

export function gcsSecretSql(location: Extract<LakeLocation, { kind: 'gcs' }>): string {
  const options = ['TYPE gcs'];
  if (location.endpoint) {
    const url = new URL(location.endpoint);
    options.push(`ENDPOINT ${literal(url.host)}`, "URL_STYLE 'path'", `USE_SSL ${url.protocol === 'https:'}`);
  }
  if (location.hmac) options.push(`KEY_ID ${literal(location.hmac.keyId)}`, `SECRET ${literal(location.hmac.secret)}`);
  return `CREATE OR REPLACE SECRET lake_gcs (${options.join(', ')})`;
}
