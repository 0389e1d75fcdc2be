// promtool, Prometheus's rule checker, for the alert rules' tests. Taken from PATH if there, else
// from Debian's prometheus package, unpacked (not installed, so no root is needed) into .local/.
import { existsSync, mkdirSync, readdirSync, rmSync, copyFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { localDir } from '../local/paths.js';
import { run } from '../local/process.js';

const installed = join(localDir, 'promtool', 'promtool');

/** The path of a promtool that runs; downloads Debian's package once when none is found. */
export async function installPromtool(): Promise<string> {
  if (existsSync(installed)) return installed;
  const onPath = await run('promtool', ['--version']).then(
    () => 'promtool',
    () => undefined,
  );
  if (onPath) return onPath;
  const work = join(localDir, 'promtool', 'download');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    await run('apt-get', ['download', 'prometheus'], { cwd: work });
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download prometheus left no .deb');
    await run('dpkg-deb', ['-x', join(work, deb), join(work, 'x')]);
    copyFileSync(join(work, 'x', 'usr', 'bin', 'promtool'), installed);
    chmodSync(installed, 0o755);
  } catch (err) {
    throw new Error(
      `promtool is needed to test the alert rules and could not be fetched (${(err as Error).message.split('\n')[0]}). ` +
        "Install Debian's prometheus package, or put promtool on PATH.",
      { cause: err },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return installed;
}
