import { describe, expect, it } from 'vitest';
import { help, isDay, parseArguments } from './arguments.js';

describe('parseArguments', () => {
  it('has defaults: report.html, all days, all workspaces, 20 slowest', () => {
    expect(parseArguments([])).toEqual({ kind: 'run', args: { out: 'report.html', top: 20 } });
  });

  it('reads every option', () => {
    expect(parseArguments(['--out', 'x/r.html', '--since', '2026-01-31', '--workspace', 'acme', '--top', '5'])).toEqual(
      { kind: 'run', args: { out: 'x/r.html', since: '2026-01-31', workspace: 'acme', top: 5 } },
    );
  });

  it('gives the help, which says what --since keeps', () => {
    expect(parseArguments(['--help'])).toEqual({ kind: 'help' });
    expect(help).toMatch(/--since DATE\s+from DATE \(YYYY-MM-DD, UTC\) on/);
  });

  it.each([
    [['--since', '2026-02-30'], "--since: '2026-02-30' is not a day; give YYYY-MM-DD (UTC), e.g. 2026-01-31"],
    [['--since', '2026-1-5'], "--since: '2026-1-5' is not a day"],
    [['--since', '2026-01-31T00:00:00Z'], "--since: '2026-01-31T00:00:00Z' is not a day"],
    [['--since', 'yesterday'], "--since: 'yesterday' is not a day"],
    [['--workspace', 'a b'], "--workspace: 'a b' is not a workspace name"],
    [['--top', '0'], "--top: '0' is not a whole number of rows above 0"],
    [['--top', '2.5'], "--top: '2.5' is not a whole number"],
    [['--out', ' '], '--out: give a file name'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['--since'], "Option '--since <value>' argument missing"],
  ])('refuses %j', (argv, message) => {
    const parsed = parseArguments(argv);
    expect(parsed.kind).toBe('error');
    expect(parsed.kind === 'error' && parsed.message).toContain(message);
  });
});

describe('isDay', () => {
  it.each(['2024-02-29', '2026-12-31', '1999-01-01'])('%s is a day', (text) => expect(isDay(text)).toBe(true));
  it.each(['2023-02-29', '2026-13-01', '2026-00-10', '20260101', ''])('%j is not', (text) =>
    expect(isDay(text)).toBe(false),
  );
});
