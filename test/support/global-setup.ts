// Starts a real Kafka broker and the BigQuery emulator for the integration tests, on ports of
// their own (so a running `npm start` does not interfere) and with fresh state for every run.
// If either cannot start, this throws and the whole run fails with the reason: integration tests
// never pass, and are never skipped, without the services they need.
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import './provided.js';
import type { LocalKafka } from '../../infra/kafka/kafka.js';
import { startTestKafka } from './broker.js';
import { startEmulator, type LocalEmulator } from '../../infra/bigquery-emulator/emulator.js';
import { startFakeGcs, type LocalFakeGcs } from '../../infra/gcs/fake-gcs.js';
import { localDir } from '../../infra/local/paths.js';

export const testPorts = {
  kafka: 29092,
  kafkaController: 29093,
  emulator: 29050,
  emulatorGrpc: 29060,
  // A second emulator that outage tests stop and start.
  outageEmulator: 29070,
  outageEmulatorGrpc: 29080,
  // fake-gcs-server, for the lake in a bucket.
  gcs: 29076,
};
/**
 * Brokers of a file's own, which its test stops, starts or fills without disturbing the shared one:
 * a pair of ports per file, so that two such files can run at once.
 */
export const ownBrokerPorts = {
  consumerCrash: { port: 29094, controllerPort: 29095 },
  consumerReadiness: { port: 29096, controllerPort: 29097 },
  ingress: { port: 29098, controllerPort: 29099 },
  ingressSpool: { port: 29100, controllerPort: 29101 },
  backfill: { port: 29102, controllerPort: 29103 },
  // With its SASL_SSL and mTLS listeners on the next two ports (kafka-security).
  secured: { port: 29104, controllerPort: 29105 },
} as const;
/** The bucket the integration tests' lakes in object storage live in (each under a prefix of its own). */
export const testBucket = 'test-lake';
export const testProject = 'test-project';

let kafka: LocalKafka | undefined;
let emulator: LocalEmulator | undefined;
let gcs: LocalFakeGcs | undefined;

export async function setup(project: TestProject): Promise<void> {
  const dir = join(localDir, 'test');
  const started = Date.now();
  [kafka, emulator, gcs] = await Promise.all([
    startTestKafka({
      dataDir: join(dir, 'kafka'),
      port: testPorts.kafka,
      controllerPort: testPorts.kafkaController,
      fresh: true,
    }),
    startEmulator({
      dataDir: join(dir, 'bigquery'),
      port: testPorts.emulator,
      grpcPort: testPorts.emulatorGrpc,
      project: testProject,
      fresh: true,
    }),
    startFakeGcs({ dataDir: join(dir, 'gcs'), port: testPorts.gcs, buckets: [testBucket], fresh: true }),
  ]);
  process.stdout.write(
    `integration services ready in ${((Date.now() - started) / 1000).toFixed(1)}s: kafka ${kafka.brokers.join(',')}, bigquery ${emulator.endpoint}, gcs ${gcs.endpoint}\n`,
  );
  project.provide('kafkaBrokers', kafka.brokers);
  project.provide('bigqueryEndpoint', emulator.endpoint);
  project.provide('bigqueryStorageEndpoint', emulator.storageEndpoint);
  project.provide('bigqueryProject', testProject);
  project.provide('gcsEndpoint', gcs.endpoint);
  project.provide('gcsBucket', testBucket);
}

export async function teardown(): Promise<void> {
  await Promise.allSettled([kafka?.stop(), emulator?.stop(), gcs?.stop()]);
}
