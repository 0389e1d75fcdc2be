// The report as a reader sees it: built from the metric views' known-answer lake, rendered by
// headless Chromium (Debian's package, installed by infra:install) to PNG. The whole page draws,
// and every chart draws: each chart's SVG, rendered alone, is not blank, and holds the marks its
// figures call for.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installChromium, screenshot } from '../../infra/report/chromium.js';
import { drawCharts, type Chart } from '../../services/report/charts.js';
import { readFigures } from '../../services/report/figures.js';
import { renderReport } from '../../services/report/html.js';
import { marksIn } from '../support/svg.js';
import { inkShare } from '../support/png.js';
import { lakeWithRows, metricLakeRows, type ViewLake } from '../support/views.js';

/** Marks each chart must hold on the fixtures (two workspaces): bars, or points of a line. */
const expectedMarks: Record<string, { mark: 'bar' | 'point'; count: number }> = {
  'per-day': { mark: 'bar', count: 7 },
  backlog: { mark: 'point', count: 8 },
  'first-response': { mark: 'bar', count: 4 },
  resolution: { mark: 'bar', count: 3 },
  'csat-team': { mark: 'bar', count: 4 },
  'csat-assignee': { mark: 'bar', count: 3 },
};

describe('the report in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-render-'));
  let lake: ViewLake;
  let chromium: string;
  let charts: Chart[];
  let page: string;

  beforeAll(async () => {
    chromium = await installChromium();
    lake = await lakeWithRows(metricLakeRows());
    const figures = await readFigures(lake.connection, { slowest: 20 }, () => undefined);
    charts = await drawCharts(figures);
    page = join(dir, 'report.html');
    writeFileSync(page, renderReport({ figures, charts, generatedAt: new Date(), lakeDir: lake.dir }));
  }, 120_000);
  afterAll(() => lake?.close());

  it('renders the whole page to a PNG with something on it', async () => {
    const png = join(dir, 'report.png');
    await screenshot(chromium, page, png, { width: 1200, height: 3000 });
    const { width, height, ink } = inkShare(png);
    expect([width, height]).toEqual([1200, 3000]);
    expect(ink).toBeGreaterThan(0.03);
  });

  it('draws every chart: not blank, with the marks its figures call for', async () => {
    expect(charts.map((c) => c.id).sort()).toEqual(Object.keys(expectedMarks).sort());
    for (const chart of charts) {
      const svg = chart.svg!;
      const { mark, count } = expectedMarks[chart.id]!;
      expect(marksIn(svg, mark), chart.id).toBe(count);
      const alone = join(dir, `${chart.id}.html`);
      writeFileSync(alone, `<!doctype html><body style="margin:0;background:#fff">${svg}</body>`);
      const png = join(dir, `${chart.id}.png`);
      await screenshot(chromium, alone, png, { width: 900, height: 700 });
      expect(inkShare(png).ink, chart.id).toBeGreaterThan(0.01);
    }
  });
});
