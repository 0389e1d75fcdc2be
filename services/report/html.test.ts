// The report page from the metric views' fixtures: self-contained (no script, nothing fetched from
// elsewhere), the data's text escaped, and each chart's numbers written beside it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeWithRows, metricLakeRows, type ViewLake } from '../../test/support/views.js';
import { drawCharts } from './charts.js';
import { readFigures, type Figures } from './figures.js';
import { duration, escapeHtml, renderReport } from './html.js';

const generatedAt = new Date('2025-03-05T12:00:00Z');

let lake: ViewLake;
let figures: Figures;
beforeAll(async () => {
  lake = await lakeWithRows(metricLakeRows());
  figures = await readFigures(lake.connection);
});
afterAll(() => lake.close());

async function page(f: Figures): Promise<string> {
  return renderReport({ figures: f, charts: await drawCharts(f), generatedAt, lakeDir: '/lake/<dir>' });
}

/** The section of the page with this id. */
const section = (html: string, id: string) =>
  /<section id="([^"]+)">[\s\S]*?<\/section>/g.exec(html.slice(html.indexOf(`<section id="${id}">`)))![0];

describe('the report page', () => {
  let html: string;
  beforeAll(async () => {
    html = await page(figures);
  });

  it('needs nothing from elsewhere: no script, no link, no image, no outside address', () => {
    expect(html).toMatch(/^<!doctype html>/);
    for (const outside of ['<script', '<link', '<img', '<iframe', '@import', 'url(', 'src="http', 'href="http']) {
      expect(html, outside).not.toContain(outside);
    }
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html.split('<svg ').length - 1).toBe(6);
  });

  it('writes each chart’s numbers beside it', () => {
    expect(section(html, 'per-day')).toContain('acme: 15 created and 12 closed; the most created, 11, on 2025-03-04');
    expect(section(html, 'per-day')).toContain('globex: 1 created and 1 closed; the most created, 1, on 2025-03-01');
    expect(section(html, 'per-day')).toMatch(
      /<td>acme<\/td><td>2025-03-04<\/td><td class="n">11<\/td><td class="n">10</,
    );
    expect(section(html, 'backlog')).toContain('acme: 3 open at the end of 2025-03-04; the most, 4, on 2025-03-02');
    expect(section(html, 'backlog')).toContain('globex: 0 open at the end of 2025-03-04; the most, 0, on 2025-03-01');
    expect(section(html, 'first-response')).toContain(
      'acme: median <b>60 s</b>, 90th percentile <b>12 min</b>, over 13 requests',
    );
    expect(section(html, 'first-response')).toMatch(/<td>under 5 min<\/td><td class="n">11<\/td><td class="n">1</);
    expect(section(html, 'resolution')).toContain(
      'acme: median <b>10 min</b>, 90th percentile <b>18 min</b>, over 12 requests',
    );
    expect(section(html, 'csat-team')).toMatch(/<td>Support<\/td><td class="n">4.50<\/td><td class="n">1</);
    expect(section(html, 'csat-assignee')).toMatch(/<td>Bo<\/td><td class="n">3.75<\/td><td class="n">2</);
    expect(section(html, 'summary')).toMatch(
      /<td>acme<\/td><td class="n">15<\/td><td class="n">12<\/td><td class="n">3</,
    );
  });

  it('lists the open requests oldest first, open for as long as to the report’s time', () => {
    const rows = [...section(html, 'slowest-open').matchAll(/<tr><td>([^<]*)<\/td><td>([^<]*)<\/td>/g)];
    expect(rows.map(([, workspace, request]) => [workspace, request])).toEqual([
      ['acme', '103'],
      ['acme', '102'],
      ['acme', '211'],
    ]);
    expect(section(html, 'slowest-open')).toContain('<td>2025-03-01 10:00:00</td><td>4.1 days</td><td>30 min</td>');
    expect(section(html, 'slowest-open')).toContain('The 3 open requests');
  });

  it('says when it was made, from which lake, for which period', () => {
    expect(html).toContain('Generated 2025-03-05 12:00 UTC from the lake at <code>/lake/&lt;dir&gt;</code>');
    expect(html).toContain('Workspaces: acme, globex. Period: all days in the lake.');
  });
});

describe('text from the data', () => {
  it('is escaped everywhere: a team, an assignee, a customer, a status named <b>&', async () => {
    const odd = '<b>&Co "x"';
    const f: Figures = {
      ...figures,
      csatByTeam: figures.csatByTeam.map((g) => ({ ...g, name: odd })),
      csatByAssignee: figures.csatByAssignee.map((g) => ({ ...g, name: odd })),
      slowestOpen: figures.slowestOpen.map((r) => ({ ...r, team: odd, assignee: odd, customer: odd, status: odd })),
    };
    const html = await page(f);
    expect(html).not.toContain('<b>&Co');
    expect(html).toContain('&lt;b&gt;&amp;Co &quot;x&quot;');
    expect(section(html, 'slowest-open').split('&lt;b&gt;&amp;Co').length - 1).toBe(3 * 4);
  });
});

describe('pieces', () => {
  it('a chart with nothing to draw says so', async () => {
    const html = await page({ ...figures, csatByTeam: [] });
    expect(section(html, 'csat-team')).toContain('Nothing to draw in the period.');
    expect(section(html, 'csat-team')).toContain('No rated request closed in the period.');
  });

  it('one workspace: no workspace column, its name in the title', async () => {
    const html = await page(await readFigures(lake.connection, { workspace: 'globex', since: '2025-03-01' }));
    expect(html).toContain('<title>Support report: globex</title>');
    expect(html).toContain('Period: from 2025-03-01 (UTC)');
    expect(section(html, 'per-day')).toContain('<thead><tr><th>day</th>');
    expect(section(html, 'per-day')).toContain('<p>1 created and 1 closed; the most created, 1, on 2025-03-01</p>');
    expect(section(html, 'slowest-open')).toContain('No request is open.');
  });

  it.each([
    [null, '–'],
    [0, '0 s'],
    [89, '89 s'],
    [90, '2 min'],
    [730, '12 min'],
    [5399, '90 min'],
    [5400, '1.5 h'],
    [129_599, '36.0 h'],
    [196_200, '2.3 days'],
    [-30, '-30 s'],
  ])('duration(%j) is %s', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });

  it('escapeHtml', () => {
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;',
    );
  });
});
