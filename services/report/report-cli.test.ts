// `npm run report` as a person runs it: Node runs the command (tsx as a loader) with nothing in its
// environment but LAKE_DIR, and the test reads its exit status, its lines and the file it wrote.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeWithRows, metricLakeRows, type ViewLake } from '../../test/support/views.js';

const cli = join(import.meta.dirname, 'report-cli.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function report(args: string[], lakeDir: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { env: { LAKE_DIR: lakeDir } });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (b: Buffer) => (out.stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out.stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...out }));
  });
}

let scratch: string;
let lake: ViewLake;
beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'report-cli-'));
  lake = await lakeWithRows(metricLakeRows());
});
afterAll(() => {
  lake.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('npm run report', { timeout: 60_000 }, () => {
  it('writes the report, printing a line per query and where the file went and how big it is', async () => {
    const out = join(scratch, 'report.html');
    const run = await report(['--out', out], lake.dir);
    expect(run.stderr).toContain(`report: reading the lake at ${lake.dir}\n`);
    expect(run.stderr).toContain('report: requests created and closed per day (team_daily): 5 rows, ');
    expect(run.stderr).toContain('report: CSAT by assignee (assignee_daily): 3 rows, ');
    expect(run.stderr).toContain('report: drew 6 charts\n');
    expect(run.code).toBe(0);
    const kB = Math.round(statSync(out).size / 1024);
    expect(run.stdout).toBe(`report: wrote ${out} (${kB} kB)\n`);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.split('<svg ').length - 1).toBe(6);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('a bad --since: exit 2, what is wrong and the usage', async () => {
    const run = await report(['--since', '2025-13-01'], lake.dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "report: --since: '2025-13-01' is not a day; give YYYY-MM-DD (UTC), e.g. 2026-01-31\n" +
        'usage: npm run report -- [--out FILE.html] [--since YYYY-MM-DD] [--workspace NAME] [--top N]\n',
    );
  });

  it('no lake: exit 1, one line saying how to get one', async () => {
    const missing = join(scratch, 'no-lake');
    const run = await report(['--out', join(scratch, 'x.html')], missing);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `report: no lake at '${missing}' (LAKE_DIR); run the pipeline (npm start) to fill it, or set LAKE_DIR to the lake's folder\n`,
    );
    expect(existsSync(join(scratch, 'x.html'))).toBe(false);
  });

  it('an empty lake, an unknown workspace, nothing since the day: exit 1 with what to do', async () => {
    const empty = mkdtempSync(join(scratch, 'empty-'));
    const out = join(scratch, 'y.html');
    const cases: [string, string[], RegExp][] = [
      [empty, [], /it holds no request yet; send webhooks through the pipeline \(npm start\)/],
      [lake.dir, ['--workspace', 'initech'], /no workspace 'initech'; its workspaces are acme, globex; name one/],
      [lake.dir, ['--since', '2025-04-01'], /on or after 2025-04-01 .*; give an earlier --since\n$/],
    ];
    for (const [dir, args, message] of cases) {
      const run = await report(['--out', out, ...args], dir);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr.trimEnd().split('\n').at(-1)).toMatch(/^report: nothing to report from the lake at '/);
      expect(run.stderr).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
  });
});
