// The report's "Payload drift" section as headless Chromium reads it: its two tables, taken from the
// DOM Chromium built, hold exactly what the views payload_drift and payload_drift_daily answer to
// queries written here (not the report's), and the section draws. The lake holds the metric views'
// fixtures, the drift fixtures and an earlier finding, so both tables have rows.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpDom, installChromium, screenshot } from '../../infra/report/chromium.js';
import { readFigures } from '../../services/report/figures.js';
import { renderReport } from '../../services/report/html.js';
import { driftLakeRows, earlierBrandNew, mergeLakeRows } from '../fixtures/drift.js';
import { lakeWithRows, metricLakeRows, type ViewLake } from '../support/views.js';
import { inkShare } from '../support/png.js';

const since = '2025-03-01';

/** The text of each cell of each body row of the table after `heading` in the section. */
function tableAfter(dom: string, heading: string): string[][] {
  const section = dom.slice(dom.indexOf('<section id="payload-drift">'));
  const start = section.indexOf(`<h3>${heading}</h3>`);
  expect(start, heading).toBeGreaterThan(0);
  const tbody = /<tbody>([\s\S]*?)<\/tbody>/.exec(section.slice(start))![1]!;
  const text = (html: string) =>
    html
      .replace(/<[^>]+>/g, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
  return [...tbody.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => text(cell[1]!)),
  );
}

describe('the report’s payload-drift section in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-drift-'));
  let lake: ViewLake;
  let chromium: string;
  let page: string;
  let dom: string;

  beforeAll(async () => {
    chromium = await installChromium();
    lake = await lakeWithRows(mergeLakeRows(metricLakeRows(), driftLakeRows([earlierBrandNew])));
    const figures = await readFigures(lake.connection, { since, slowest: 20 });
    page = join(dir, 'report.html');
    writeFileSync(page, renderReport({ figures, charts: [], generatedAt: new Date(), lakeDir: lake.dir }));
    dom = await dumpDom(chromium, page);
  }, 120_000);
  afterAll(() => lake?.close());

  it('lists the paths first seen in the period as payload_drift has them', async () => {
    const expected = await lake.query(
      `SELECT workspace, source, path, kind, strftime(first_seen, '%Y-%m-%d %H:%M:%S') AS first_seen,
              CAST(events AS VARCHAR) AS events, COALESCE(example, '–') AS example
       FROM payload_drift WHERE first_seen >= TIMESTAMP '${since} 00:00:00'
       ORDER BY first_seen, workspace, source, path, kind`,
    );
    expect(expected.length).toBeGreaterThan(5);
    expect(tableAfter(dom, 'New paths')).toEqual(expected.map((r) => Object.values(r)));
  });

  it('lists the paths whose events rose against as many days before, as payload_drift_daily counts them', async () => {
    // The period runs from --since to the latest day with a finding; the days before it are as many.
    const [{ last }] = (await lake.query(`SELECT strftime(MAX(day), '%Y-%m-%d') AS last FROM payload_drift_daily`)) as [
      { last: string },
    ];
    const days = (Date.parse(last) - Date.parse(since)) / 86_400_000 + 1;
    const before = new Date(Date.parse(since) - days * 86_400_000).toISOString().slice(0, 10);
    const expected = await lake.query(
      `WITH counts AS (
         SELECT workspace, source, path, kind,
                SUM(CASE WHEN day < DATE '${since}' AND day >= DATE '${before}' THEN events ELSE 0 END) AS before,
                SUM(CASE WHEN day >= DATE '${since}' THEN events ELSE 0 END) AS during
         FROM payload_drift_daily GROUP BY workspace, source, path, kind
       )
       SELECT c.workspace, c.source, c.path, c.kind, CAST(c.before AS VARCHAR) AS before, CAST(c.during AS VARCHAR) AS during
       FROM counts AS c JOIN payload_drift AS p USING (workspace, source, path, kind)
       WHERE p.first_seen < TIMESTAMP '${since} 00:00:00' AND c.during > c.before
       ORDER BY c.during - c.before DESC, workspace, source, path, kind`,
    );
    expect(expected).toEqual([
      { workspace: 'acme', source: 'request', path: 'request.brandNew', kind: 'unknown', before: '1', during: '2' },
    ]);
    expect(tableAfter(dom, 'Problems that rose')).toEqual(expected.map((r) => Object.values(r)));
  });

  it('draws the section', async () => {
    const alone = join(dir, 'drift.html');
    const section = dom.slice(
      dom.indexOf('<section id="payload-drift">'),
      dom.indexOf('</section>', dom.indexOf('<section id="payload-drift">')) + 10,
    );
    writeFileSync(alone, `<!doctype html><body style="margin:0;background:#fff">${section}</body>`);
    const png = join(dir, 'drift.png');
    await screenshot(chromium, alone, png, { width: 1200, height: 900 });
    expect(inkShare(png).ink).toBeGreaterThan(0.01);
  });
});
