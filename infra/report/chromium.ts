// Headless Chromium, to render the report to a PNG (its rendering test and the README screenshot).
// Taken from PATH; else, when this runs as root where apt-get works (CI), Debian's chromium
// package is installed; else the error says what to install. Chromium needs its shared libraries,
// so unpacking the package alone (as promtool is) would not do.
import { existsSync } from 'node:fs';
import { run } from '../local/process.js';

const candidates = ['chromium', 'chromium-browser', '/usr/bin/chromium'];

async function onPath(): Promise<string | undefined> {
  for (const name of candidates) {
    const found = await run(name, ['--version']).then(
      () => name,
      () => undefined,
    );
    if (found) return found;
  }
  return undefined;
}

/** The command of a Chromium that runs; installs Debian's package when root and none is found. */
export async function installChromium(): Promise<string> {
  const found = await onPath();
  if (found) return found;
  const root = process.getuid?.() === 0;
  if (root && existsSync('/usr/bin/apt-get')) {
    process.env.DEBIAN_FRONTEND ??= 'noninteractive';
    const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium']);
    try {
      // Package lists may be missing or stale on a fresh machine: refreshed once if need be.
      await install().catch(async () => (await run('apt-get', ['update']), install()));
      const installed = await onPath();
      if (installed) return installed;
    } catch (err) {
      throw new Error(
        `Chromium is needed to render the report and could not be installed (${(err as Error).message.split('\n')[0]}). ` +
          'Run apt-get update, then npm run infra:install again.',
        { cause: err },
      );
    }
  }
  throw new Error(
    "Chromium is needed to render the report (its test and screenshot): install Debian's chromium package " +
      '(sudo apt-get install chromium) or put chromium on PATH, then run npm run infra:install again.',
  );
}

/** Renders an HTML file to a PNG of the given window size. */
export async function screenshot(
  chromium: string,
  html: string,
  png: string,
  size: { width: number; height: number },
): Promise<void> {
  await run(chromium, [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--hide-scrollbars',
    '--force-device-scale-factor=1',
    `--window-size=${size.width},${size.height}`,
    `--screenshot=${png}`,
    `file://${html}`,
  ]);
}

/** The DOM of an HTML file as Chromium has parsed and laid it out, serialised. */
export async function dumpDom(chromium: string, html: string): Promise<string> {
  return run(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${html}`], {
    stdoutOnly: true,
  });
}
