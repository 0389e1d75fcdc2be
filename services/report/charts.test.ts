// The charts drawn from the figures of the metric views' fixtures: every chart draws a bar (or a
// point) per plotted row, none of them empty, in one panel per workspace or in one chart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { barSizes, marksIn } from '../../test/support/svg.js';
import { lakeWithRows, metricLakeRows, type ViewLake } from '../../test/support/views.js';
import { chartPlans, drawCharts, type Chart } from './charts.js';
import { readFigures, type Figures } from './figures.js';

function expectDrawn(chart: Chart, marks: number): void {
  expect(chart.marks, chart.id).toBe(marks);
  const svg = chart.svg!;
  expect(svg, chart.id).toMatch(/^<svg [^>]*width="\d+" height="\d+"/);
  expect(marksIn(svg, chart.mark), chart.id).toBe(marks);
  if (chart.mark === 'bar') {
    // No bar is a sliver: each has a width and a height.
    for (const [w, h] of barSizes(svg)) expect(Math.abs(w) * Math.abs(h), chart.id).toBeGreaterThan(1);
  }
}

let lake: ViewLake;
let all: Figures;
beforeAll(async () => {
  lake = await lakeWithRows(metricLakeRows());
  all = await readFigures(lake.connection);
});
afterAll(() => lake.close());

describe('the charts of two workspaces', () => {
  let charts: Chart[];
  beforeAll(async () => {
    charts = await drawCharts(all);
  });

  it('draw a bar or a point per plotted row', () => {
    const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
    expect(charts.map((c) => c.id)).toEqual([
      'per-day',
      'backlog',
      'first-response',
      'resolution',
      'csat-team',
      'csat-assignee',
    ]);
    expectDrawn(byId['per-day']!, 7); // acme 3, 1, 2 (closed), 11 and 10; globex 1 and 1
    expectDrawn(byId.backlog!, 8); // four days in each workspace
    expect(marksIn(byId.backlog!.svg!, 'line mark')).toBe(2);
    expectDrawn(byId['first-response']!, 4); // acme in three buckets, globex in one
    expectDrawn(byId.resolution!, 3);
    expectDrawn(byId['csat-team']!, 4);
    expectDrawn(byId['csat-assignee']!, 3);
  });

  it('split into a panel per workspace, and a line per workspace for the backlog', () => {
    for (const chart of charts.filter((c) => c.id !== 'backlog')) {
      expect(chart.svg, chart.id).toContain('>acme</text>');
      expect(chart.svg, chart.id).toContain('>globex</text>');
    }
    expect(charts.find((c) => c.id === 'backlog')!.svg).toMatch(/role-legend-label[\s\S]*>globex</);
  });

  it('label the axes with the days and the buckets', () => {
    const svgOf = (id: string) => charts.find((c) => c.id === id)!.svg!;
    for (const day of ['2025-03-01', '2025-03-02', '2025-03-03', '2025-03-04']) {
      expect(svgOf('per-day')).toContain(`>${day}</text>`);
      expect(svgOf('backlog')).toContain(`>${day}</text>`);
    }
    expect(svgOf('first-response')).toContain('>under 5 min</text>');
    expect(svgOf('resolution')).toContain('>7 days or more</text>');
    expect(svgOf('csat-team')).toContain('>Globex Support</text>');
  });
});

describe('the charts of one workspace', () => {
  it('have no panels and no workspace legend', async () => {
    const charts = await drawCharts(await readFigures(lake.connection, { workspace: 'acme' }));
    const marks = Object.fromEntries(charts.map((c) => [c.id, marksIn(c.svg!, c.mark)]));
    expect(marks).toEqual({
      'per-day': 5,
      backlog: 4,
      'first-response': 3,
      resolution: 2,
      'csat-team': 3,
      'csat-assignee': 2,
    });
    for (const chart of charts) expect(chart.svg, chart.id).not.toContain('>acme</text>');
    expect(marksIn(charts.find((c) => c.id === 'backlog')!.svg!, 'line mark')).toBe(1);
  });
});

describe('what the data says', () => {
  it('a chart with nothing to draw is left out, not drawn empty', async () => {
    const unrated = { ...all, csatByTeam: [], csatByAssignee: [] };
    const csat = (await drawCharts(unrated)).filter((c) => c.id.startsWith('csat'));
    expect(csat.map((c) => [c.svg, c.marks])).toEqual([
      [null, 0],
      [null, 0],
    ]);
  });

  it('names from the data are escaped in the SVG', async () => {
    const odd = { ...all, csatByTeam: all.csatByTeam.map((g) => ({ ...g, name: `<b>&${g.name}` })) };
    const svg = (await drawCharts(odd)).find((c) => c.id === 'csat-team')!.svg!;
    expect(svg).toContain('&lt;b&gt;&amp;Billing');
    expect(svg).not.toContain('<b>');
  });

  it('two groups of one name are told apart by their ids', () => {
    const twins = {
      ...all,
      csatByTeam: [
        { workspace: 'acme', id: 'T1', name: 'Support', mean: 4, ratings: 1 },
        { workspace: 'acme', id: 'T9', name: 'Support', mean: 2, ratings: 1 },
      ],
    };
    const plan = chartPlans(twins).find((c) => c.id === 'csat-team')!;
    const values = (plan.spec as unknown as { data: { values: { who: string }[] } }).data.values;
    expect(values.map((v) => v.who)).toEqual(['Support (T1)', 'Support (T9)']);
  });
});
