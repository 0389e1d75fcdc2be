// The BigQuery client every service uses. With BIGQUERY_API_ENDPOINT set (an emulator), requests
// go there with a placeholder token: an emulator checks no credentials, and looking for real ones
// would probe the GCE metadata server and stall for seconds. Without it, Application Default
// Credentials apply, as on Google Cloud.
import { BigQuery } from '@google-cloud/bigquery';
import { OAuth2Client } from 'google-auth-library';
import type { Config } from './config.js';

export type BigQuerySettings = Pick<Config, 'BIGQUERY_PROJECT' | 'BIGQUERY_API_ENDPOINT'>;

/** Returns a client, or undefined when BIGQUERY_PROJECT is unset (the BigQuery sink is off). */
export function createBigQuery(config: BigQuerySettings): BigQuery | undefined {
  if (!config.BIGQUERY_PROJECT) return undefined;
  if (!config.BIGQUERY_API_ENDPOINT) return new BigQuery({ projectId: config.BIGQUERY_PROJECT });
  const authClient = new OAuth2Client();
  authClient.setCredentials({ access_token: 'emulator', expiry_date: Number.MAX_SAFE_INTEGER });
  return new BigQuery({
    projectId: config.BIGQUERY_PROJECT,
    apiEndpoint: config.BIGQUERY_API_ENDPOINT,
    authClient,
  });
}
