// How every service process starts and stops: a configuration error prints its problems and exits
// 2, any other start failure exits 1, and shutdown runs once (a second signal does not run it
// again), in the order the service gives, with a deadline after which the process exits anyway.
import { ConfigError } from './config.js';
import { configuredSecurity, securityProblem } from './kafka-security.js';
import type { Logger } from './logger.js';

export function runService(name: string, start: () => Promise<void>): void {
  start().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    // A Kafka setting that cannot work (a wrong password, a CA that does not match) is said in
    // words that name it, not as a stack.
    const problem = securityProblem(err, configuredSecurity());
    if (problem) {
      process.stderr.write(`${name}: ${problem}\n`);
      process.exit(1);
    }
    process.stderr.write(`${name} failed to start: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}

/** On SIGTERM or SIGINT, runs `stop` once, then exits 0 (1 if it takes longer than `deadlineMs`). */
export function onShutdown(logger: Logger, stop: () => Promise<void>, deadlineMs = 30_000): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error(`shutdown took over ${deadlineMs / 1000} s; exiting`);
      process.exit(1);
    }, deadlineMs).unref();
    await stop();
    logger.info('stopped');
    process.exit(0);
  };
  // `on`, not `once`: a terminal's Ctrl-C and the launcher's SIGTERM both arrive; the second must
  // not end the process by default while the first is still writing and committing.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
