// The plumbing the operations commands share: lines on stderr under the command's name, exits
// with a message (2 for a bad argument or configuration, 1 for a failure), and reading the
// command line with --help.

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
