// The plumbing the operations commands share: lines on stderr under the command's name, exits
// with a message (2 for a bad argument or configuration, 1 for a failure), and reading the
// command line with --help.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type ParsedArguments<T> = { kind: 'run'; args: T } | { kind: 'help' } | { kind: 'error'; message: string };

export interface Cli<T> {
  /** A line on stderr, prefixed with the command's name. */
  say(line: string): void;
  /** Writes the message (and the usage, if asked) on stderr and exits with `code`. */
  exitWith(code: number, message: string, withUsage?: boolean): never;
  /** The parsed command line; prints the help and exits 0, or exits 2 with the usage on a mistake. */
  commandLine(): T;
}

export function cli<T>(
  name: string,
  o: { usage: string; help: string; parse: (argv: string[]) => ParsedArguments<T> },
): Cli<T> {
  const exitWith = (code: number, message: string, withUsage = false): never => {
    process.stderr.write(`${name}: ${message}\n${withUsage ? `${o.usage}\n` : ''}`);
    process.exit(code);
  };
  return {
    say: (line) => process.stderr.write(`${name}: ${line}\n`),
    exitWith,
    commandLine() {
      const parsed = o.parse(process.argv.slice(2));
      if (parsed.kind === 'help') {
        process.stdout.write(`${o.help}\n`);
        process.exit(0);
      }
      if (parsed.kind === 'error') exitWith(2, parsed.message, true);
      return (parsed as { args: T }).args;
    },
  };
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true }>>['values'];

/**
 * Reads `argv` with node:util's parseArgs and the given options plus `--help`: the values, the
 * help asked for, or parseArgs's own message for an unknown or malformed option.
 */
export function readOptions<const O extends Options>(
  argv: string[],
  options: O,
): { kind: 'values'; values: Values<O> } | { kind: 'help' } | { kind: 'error'; message: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', default: false } },
      strict: true,
    });
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
  if ((parsed.values as { help?: boolean }).help) return { kind: 'help' };
  return { kind: 'values', values: parsed.values as Values<O> };
}
