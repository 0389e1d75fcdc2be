import { describe, expect, it } from 'vitest';
import { help, parseArguments, parseDate } from './arguments.js';

const now = new Date('2026-12-01T12:00:00Z');

describe('parseDate', () => {
  it.each([
    ['2024-01-31', '2024-01-31T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2024-01-31T12:00:00Z', '2024-01-31T12:00:00.000Z'],
    ['2024-01-31T12:00Z', '2024-01-31T12:00:00.000Z'],
    ['2024-01-31T12:00:00.250+02:00', '2024-01-31T10:00:00.250Z'],
    ['2024-01-31T12:00:00-0500', '2024-01-31T17:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseDate(text)?.toISOString()).toBe(iso);
  });

  it.each(['2023-02-29', '2024-13-01', '2024-1-5', '2024-01-31T12:00:00', 'yesterday', '1706745600', ''])(
    'refuses %j',
    (text) => {
      expect(parseDate(text)).toBeUndefined();
    },
  );
});

describe('parseArguments', () => {
  it('reads an API range, with the defaults', () => {
    expect(parseArguments(['--since', '2024-01-01'], now)).toEqual({
      kind: 'run',
      args: { mode: 'api', since: new Date('2024-01-01T00:00:00Z'), pageSize: 100, workspace: 'default', again: false },
    });
    expect(
      parseArguments(
        ['--since', '2024-01-01', '--until', '2024-02-01', '--workspace', 'acme', '--limit', '500', '--again'],
        now,
      ),
    ).toEqual({
      kind: 'run',
      args: {
        mode: 'api',
        since: new Date('2024-01-01T00:00:00Z'),
        until: new Date('2024-02-01T00:00:00Z'),
        pageSize: 500,
        workspace: 'acme',
        again: true,
      },
    });
  });

  it('reads a file', () => {
    expect(parseArguments(['--file', 'export.ndjson', '--workspace', 'acme'], now)).toEqual({
      kind: 'run',
      args: { mode: 'file', path: 'export.ndjson', workspace: 'acme', again: false },
    });
  });

  it('reads a platform backfill: --since and --limit, the API read whole', () => {
    expect(parseArguments(['--source', 'platform', '--since', '2024-01-01', '--limit', '50'], now)).toEqual({
      kind: 'run',
      args: {
        mode: 'platform',
        since: new Date('2024-01-01T00:00:00Z'),
        pageSize: 50,
        workspace: 'default',
        again: false,
      },
    });
  });

  it('gives the help, which says whether --until is inclusive', () => {
    expect(parseArguments(['--help'], now)).toEqual({ kind: 'help' });
    expect(help).toMatch(/Both ends are\s+inclusive, to the second/);
  });

  it.each([
    [[], /give either --since DATE \(the API\) or --file FILE.ndjson/],
    [['--since', '2024-01-01', '--file', 'x'], /give either/],
    [['--since', 'last week'], /--since: 'last week' is not a date; give YYYY-MM-DD/],
    [['--since', '2024-01-01', '--until', '2024-02-30'], /--until: '2024-02-30' is not a date/],
    [['--since', '2024-02-01', '--until', '2024-01-01'], /--since \(2024-02-01T00:00:00.000Z\) must be before --until/],
    [['--since', '2027-01-01'], /must be before now \(2026-12-01T12:00:00.000Z\)/],
    [['--since', '2024-01-01', '--limit', '0'], /--limit: '0' is not a whole number/],
    [['--file', 'x', '--until', '2024-01-01'], /--until goes with --since, not with --file/],
    [['--file', 'x', '--workspace', 'a b'], /--workspace: 'a b' is not a workspace name/],
    [['--since', '2024-01-01', '--tables'], /Unknown option '--tables'/],
    [
      ['--source', 'tickets', '--since', '2024-01-01'],
      /--source: 'tickets' is not a source; give requests \(the default\) or platform/,
    ],
    [['--source', 'platform'], /--source platform needs --since DATE/],
    [['--source', 'platform', '--since', '2024-01-01', '--until', '2024-02-01'], /the platform API is read whole/],
    [['--source', 'platform', '--file', 'x'], /--file goes with the requests source/],
  ])('refuses %j', (argv, message) => {
    const parsed = parseArguments(argv, now);
    expect(parsed.kind).toBe('error');
    expect(parsed.kind === 'error' && parsed.message).toMatch(message);
  });
});
