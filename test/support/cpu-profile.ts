// Preloaded into one service of a benchmark's pipeline (Pipeline's `preload`): a V8 CPU profile of
// a window of its life, CPU_PROFILE_START_S after it starts for CPU_PROFILE_SECONDS, written to
// CPU_PROFILE_DIR as <pid>.cpuprofile. A window rather than the whole life: Node refuses
// --cpu-prof in NODE_OPTIONS, and a profile written at exit would be lost to the service's own
// exit path.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.CPU_PROFILE_DIR;
if (dir) {
  const startS = Number(process.env.CPU_PROFILE_START_S ?? 30);
  const seconds = Number(process.env.CPU_PROFILE_SECONDS ?? 30);
  const session = new Session();
  session.connect();
  setTimeout(() => {
    session.post('Profiler.enable', () =>
      session.post('Profiler.start', () => {
        setTimeout(() => {
          session.post('Profiler.stop', (err, result) => {
            if (!err) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
          });
        }, seconds * 1000).unref();
      }),
    );
  }, startS * 1000).unref();
}
