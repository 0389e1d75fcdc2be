// Helm, to lint and render the chart in infra/helm/thena-lake. It has no npm, PyPI or Debian
// package here, so infra:install builds the pinned version from the Go module proxy into
// .local/helm/<version> once (minutes on two cores; later runs find it). Helm 4: the module proxy
// serves Helm 3's latest too, but not as an approved version.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { localDir, repoRoot } from '../local/paths.js';
import { run } from '../local/process.js';

export const helmVersion = 'v4.3.2';
const gobin = join(localDir, 'helm', helmVersion);
const binary = join(gobin, 'helm');
export const chartDir = join(repoRoot, 'infra', 'helm', 'thena-lake');

/** Builds helm with `go install` unless this version is already built; returns its path. */
export async function installHelm(): Promise<string> {
  if (existsSync(binary)) return binary;
  mkdirSync(gobin, { recursive: true });
  await run('go', ['install', `helm.sh/helm/v4/cmd/helm@${helmVersion}`], {
    env: { GOBIN: gobin, CGO_ENABLED: '0', GOFLAGS: '-modcacherw', GOTOOLCHAIN: 'local' },
  }).catch((err: Error) => {
    throw new Error(
      `building helm ${helmVersion} with Go failed (it needs Go and the Go module proxy): ${err.message}`,
    );
  });
  if (!existsSync(binary)) throw new Error(`go install finished but ${binary} is missing`);
  return binary;
}

/** The built helm, or an error that says how to get it. */
export function helmBinary(): string {
  if (!existsSync(binary)) throw new Error(`helm ${helmVersion} is not built: run \`npm run infra:install\``);
  return binary;
}
