// The Storage Write API client of the integration suite's emulator, shared by the tests of a file.
import { inject } from 'vitest';
import { createWriteClient, type WriteClient } from '../../services/bigquery/index.js';

let client: WriteClient | undefined;

export function testWriteClient(): WriteClient {
  client ??= createWriteClient({ BIGQUERY_STORAGE_API_ENDPOINT: inject('bigqueryStorageEndpoint') });
  return client;
}
