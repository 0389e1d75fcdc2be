// `npm run infra:install`: fetches what the local services and tests need (Kafka's jars through
// Maven, the BigQuery emulator into a virtualenv, fake-gcs-server and helm built from the Go proxy,
// DuckDB's httpfs extension from PyPI, promtool for the alert rules' tests, Chromium for the
// report's), so later starts are fast and offline. Idempotent.
import { installKafka, kafkaVersion } from '../kafka/kafka.js';
import { installEmulator } from '../bigquery-emulator/emulator.js';
import { installPromtool } from '../observability/promtool.js';
import { installChromium } from '../report/chromium.js';
import { fakeGcsVersion, installFakeGcs } from '../gcs/fake-gcs.js';
import { duckdbVersion, installDuckdbExtensions } from '../duckdb/extensions.js';
import { helmVersion, installHelm } from '../helm/helm.js';

const started = Date.now();
const [kafka, emulator, promtool, chromium, fakeGcs, httpfs, helm] = await Promise.allSettled([
  installKafka(),
  installEmulator(),
  installPromtool(),
  installChromium(),
  installFakeGcs(),
  installDuckdbExtensions(),
  installHelm(),
]);
for (const [name, result] of [
  [`Apache Kafka ${kafkaVersion} jars`, kafka],
  ['BigQuery emulator (local-bigquery)', emulator],
  ['promtool (for the alert rules)', promtool],
  ['Chromium (to render the report)', chromium],
  [`fake-gcs-server ${fakeGcsVersion} (object storage)`, fakeGcs],
  [`DuckDB ${duckdbVersion} httpfs extension`, httpfs],
  [`helm ${helmVersion} (to lint and render the chart)`, helm],
] as const) {
  if (result.status === 'rejected') {
    process.stderr.write(`${name}: install failed: ${(result.reason as Error).message}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`${name}: ready\n`);
  }
}
process.stdout.write(`infra:install took ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
