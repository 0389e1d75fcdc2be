// What the integration global setup hands to the tests (vitest's provide/inject).
import 'vitest';
declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    bigqueryEndpoint: string;
    /** The emulator's Storage Write API (host:port). */
    bigqueryStorageEndpoint: string;
    bigqueryProject: string;
    /** fake-gcs-server's endpoint, and a bucket on it. */
    gcsEndpoint: string;
    gcsBucket: string;
  }
}
