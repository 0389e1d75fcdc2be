// JSON-lines logs (pino) shared by every service. Credentials are redacted at the logger, so a
// careless `log.info({ headers })` cannot leak them.
import { pino, type Logger, type DestinationStream } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/** Paths censored in every log line, wherever a request or config object is logged. */
export const redactedPaths = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'INGRESS_AUTH_TOKENS',
  'config.INGRESS_AUTH_TOKENS',
  'THENA_API_KEY',
  'config.THENA_API_KEY',
  'PSEUDONYMIZATION_KEY',
  'config.PSEUDONYMIZATION_KEY',
];

/** One logger per process, labelled with the service's name. `destination` is for tests. */
export function createLogger(
  service: string,
  config: Pick<Config, 'LOG_LEVEL'>,
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: config.LOG_LEVEL,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactedPaths, censor: '[redacted]' },
    },
    destination,
  );
}
