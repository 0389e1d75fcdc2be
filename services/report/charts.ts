// The report's charts: its figures as Vega-Lite specs, compiled to Vega and drawn to SVG strings in
// Node (Vega's headless view renders SVG with no browser or canvas), so the page needs no script.
// With more than one workspace, each chart but the backlog's is split into a panel per workspace and
// the backlog has a line per workspace; with one, the workspace is in the page's title only.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { CsatGroup, Distribution, Figures } from './figures.js';

export type ChartId = 'per-day' | 'backlog' | 'first-response' | 'resolution' | 'csat-team' | 'csat-assignee';

export interface ChartPlan {
  id: ChartId;
  title: string;
  /** NULL when there is nothing to draw (say, no rating in the period). */
  spec: TopLevelSpec | null;
  /** The data marks the chart draws: one bar (or point) per plotted row. */
  marks: number;
  mark: 'bar' | 'point';
}

export interface Chart extends Omit<ChartPlan, 'spec'> {
  /** SVG markup, NULL when there is nothing to draw. */
  svg: string | null;
}

type Row = Record<string, string | number>;
// Specs are built as plain objects: Vega-Lite's own types for a faceted unit are not exported, and
// compile() checks each spec when it is drawn (the tests draw every chart).
type UnitSpec = Record<string, unknown>;

const width = 640;
const config = {
  font: 'sans-serif',
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
};
const dayAxis = { title: 'day (UTC)', labelAngle: -45, labelOverlap: true };

/** A unit spec on `values`, faceted into a row per workspace when the report has several. */
function spec(values: Row[], unit: UnitSpec, several: boolean, independentY = false): TopLevelSpec {
  const common = { data: { values }, config };
  if (!several) return { ...common, ...unit } as unknown as TopLevelSpec;
  return {
    ...common,
    facet: { row: { field: 'workspace', type: 'nominal', title: 'workspace' } },
    spec: unit,
    ...(independentY ? { resolve: { scale: { y: 'independent' } } } : {}),
  } as unknown as TopLevelSpec;
}

/** Every day the report covers, in order (the backlog has a row for each). */
function allDays(figures: Figures): string[] {
  return [...new Set([...figures.backlog.map((b) => b.day), ...figures.perDay.map((d) => d.day)])].sort();
}

function perDayPlan(figures: Figures, several: boolean): ChartPlan {
  const values = figures.perDay.flatMap((d) =>
    (['created', 'closed'] as const)
      .filter((measure) => d[measure] > 0)
      .map((measure) => ({ workspace: d.workspace, day: d.day, measure, requests: d[measure] })),
  );
  const unit = {
    width,
    height: 220,
    mark: 'bar',
    encoding: {
      x: { field: 'day', type: 'ordinal', scale: { domain: allDays(figures) }, axis: dayAxis },
      xOffset: { field: 'measure', scale: { domain: ['created', 'closed'] } },
      y: { field: 'requests', type: 'quantitative', title: 'requests' },
      color: { field: 'measure', type: 'nominal', scale: { domain: ['created', 'closed'] }, title: null },
    },
  };
  return {
    id: 'per-day',
    title: 'Requests per day',
    spec: spec(values, unit, several),
    marks: values.length,
    mark: 'bar',
  };
}

function backlogPlan(figures: Figures, several: boolean): ChartPlan {
  const values = figures.backlog.map((b) => ({ ...b }));
  const unit = {
    width,
    height: 220,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'day', type: 'ordinal', scale: { domain: allDays(figures) }, axis: dayAxis },
      y: { field: 'open', type: 'quantitative', title: 'open at end of day' },
      ...(several ? { color: { field: 'workspace', type: 'nominal' } } : {}),
    },
  };
  return {
    id: 'backlog',
    title: 'Open backlog',
    // One chart, a line per workspace: backlogs are compared, not read apart.
    spec: spec(values, unit, false),
    marks: values.length,
    mark: 'point',
  };
}

function distributionPlan(
  id: 'first-response' | 'resolution',
  title: string,
  distribution: Distribution,
  several: boolean,
): ChartPlan {
  const labels = distribution.buckets.map((b) => b.label);
  const values = distribution.counts.map((c) => ({
    workspace: c.workspace,
    bucket: labels[c.bucket]!,
    requests: c.requests,
  }));
  const unit = {
    width: 420,
    height: 180,
    mark: 'bar',
    encoding: {
      x: {
        field: 'bucket',
        type: 'ordinal',
        scale: { domain: labels },
        sort: labels,
        title: null,
        axis: { labelAngle: 0 },
      },
      y: { field: 'requests', type: 'quantitative', title: 'requests' },
    },
  };
  const drawn = values.length === 0 ? null : spec(values, unit, several);
  return { id, title, spec: drawn, marks: values.length, mark: 'bar' };
}

/** A group's label: its name, its id when another group of the workspace has the same name. */
function csatLabels(groups: CsatGroup[], none: string): Row[] {
  const names = groups.map((g) => `${g.workspace}\u0000${g.name ?? none}`);
  return groups.map((g, i) => {
    const name = g.name ?? none;
    const shared = names.indexOf(names[i]!) !== names.lastIndexOf(names[i]!);
    return {
      workspace: g.workspace,
      who: shared ? `${name} (${g.id ?? '-'})` : name,
      mean: g.mean,
      ratings: g.ratings,
    };
  });
}

function csatPlan(id: 'csat-team' | 'csat-assignee', groups: CsatGroup[], several: boolean): ChartPlan {
  const team = id === 'csat-team';
  const values = csatLabels(groups, team ? '(no team)' : '(unassigned)');
  const top = Math.max(5, ...groups.map((g) => g.mean));
  const unit = {
    width: 420,
    height: { step: 22 },
    mark: 'bar',
    encoding: {
      y: { field: 'who', type: 'nominal', sort: '-x', title: null },
      x: { field: 'mean', type: 'quantitative', scale: { domain: [0, top] }, title: 'mean CSAT rating' },
    },
  };
  const drawn = values.length === 0 ? null : spec(values, unit, several, true);
  return { id, title: team ? 'CSAT by team' : 'CSAT by assignee', spec: drawn, marks: values.length, mark: 'bar' };
}

/** What each chart draws, in the page's order (pure: no drawing). */
export function chartPlans(figures: Figures): ChartPlan[] {
  const several = figures.workspaces.length > 1;
  return [
    perDayPlan(figures, several),
    backlogPlan(figures, several),
    distributionPlan('first-response', 'Time to first response', figures.firstResponse, several),
    distributionPlan('resolution', 'Time to resolution', figures.resolution, several),
    csatPlan('csat-team', figures.csatByTeam, several),
    csatPlan('csat-assignee', figures.csatByAssignee, several),
  ];
}

/** Draws a Vega-Lite spec to SVG markup, in Node, with no browser or canvas. */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The report's charts, drawn. */
export async function drawCharts(figures: Figures): Promise<Chart[]> {
  const charts: Chart[] = [];
  for (const { spec: planned, ...plan } of chartPlans(figures)) {
    charts.push({ ...plan, svg: planned === null ? null : await toSvg(planned) });
  }
  return charts;
}
