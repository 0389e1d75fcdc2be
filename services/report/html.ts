// The report page: one HTML file with its charts' SVG inline and the figures' numbers as text beside
// each chart, and no script, stylesheet, font or image from elsewhere, so it opens anywhere with no
// network. Every text from the lake is escaped; the SVG is Vega's, which escapes its own text.
import type { Chart, ChartId } from './charts.js';
import type { CsatGroup, Distribution, Figures, OpenRequest } from './figures.js';

export interface ReportInput {
  figures: Figures;
  charts: Chart[];
  generatedAt: Date;
  lakeDir: string;
}

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c]!);
}

const esc = (value: string | number | null | undefined, none = '–') =>
  value === null || value === undefined ? none : escapeHtml(String(value));
const count = (n: number) => n.toLocaleString('en-US');

/** Seconds as a person reads them: 45 s, 12 min, 3.5 h, 2.1 days. */
export function duration(seconds: number | null): string {
  if (seconds === null) return '–';
  const sign = seconds < 0 ? '-' : '';
  const s = Math.abs(seconds);
  if (s < 90) return `${sign}${Math.round(s)} s`;
  if (s < 90 * 60) return `${sign}${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${sign}${(s / 3600).toFixed(1)} h`;
  return `${sign}${(s / 86_400).toFixed(1)} days`;
}

/** A table; cells are HTML already escaped. */
function table(head: string[], rows: string[][], numericFrom = 1): string {
  const cell = (tag: string, c: string, i: number) => `<${tag}${i >= numericFrom ? ' class="n"' : ''}>${c}</${tag}>`;
  return [
    '<table>',
    `<thead><tr>${head.map((h, i) => cell('th', esc(h), i)).join('')}</tr></thead>`,
    `<tbody>${rows.map((r) => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`).join('\n')}</tbody>`,
    '</table>',
  ].join('\n');
}

/** The numbers behind a chart: a line per workspace, then the table, folded away when long. */
function numbers(lines: string[], tableHtml: string, rows: number): string {
  return [
    `<p>${lines.join('<br>')}</p>`,
    `<details${rows <= 14 ? ' open' : ''}><summary>Day by day</summary>`,
    tableHtml,
    '</details>',
  ].join('\n');
}

const several = (figures: Figures) => figures.workspaces.length > 1;
const withWorkspace = (figures: Figures, head: string[]) => (several(figures) ? ['workspace', ...head] : head);
const workspaceCell = (figures: Figures, workspace: string) => (several(figures) ? [esc(workspace)] : []);

/** A line per workspace of the report, naming it when there are several. */
function perWorkspace<T extends { workspace: string }>(figures: Figures, rows: T[], line: (mine: T[]) => string) {
  return figures.workspaces
    .map((w) => rows.filter((r) => r.workspace === w.workspace))
    .filter((mine) => mine.length > 0)
    .map((mine) => `${several(figures) ? `${esc(mine[0]!.workspace)}: ` : ''}${line(mine)}`);
}

function perDayNumbers(figures: Figures): string {
  const lines = perWorkspace(figures, figures.perDay, (days) => {
    const busiest = days.reduce((b, d) => (d.created > b.created ? d : b));
    const created = count(days.reduce((n, d) => n + d.created, 0));
    const closed = count(days.reduce((n, d) => n + d.closed, 0));
    return `${created} created and ${closed} closed; the most created, ${count(busiest.created)}, on ${esc(busiest.day)}`;
  });
  const rows = figures.perDay.map((d) => [
    ...workspaceCell(figures, d.workspace),
    esc(d.day),
    count(d.created),
    count(d.closed),
  ]);
  const head = withWorkspace(figures, ['day', 'created', 'closed']);
  return numbers(lines, table(head, rows, several(figures) ? 2 : 1), rows.length);
}

function backlogNumbers(figures: Figures): string {
  const lines = perWorkspace(figures, figures.backlog, (days) => {
    const last = days.at(-1)!;
    const peak = days.reduce((p, b) => (b.open > p.open ? b : p));
    return `${count(last.open)} open at the end of ${esc(last.day)}; the most, ${count(peak.open)}, on ${esc(peak.day)}`;
  });
  const rows = figures.backlog.map((b) => [...workspaceCell(figures, b.workspace), esc(b.day), count(b.open)]);
  return numbers(lines, table(withWorkspace(figures, ['day', 'open']), rows, several(figures) ? 2 : 1), rows.length);
}

function distributionNumbers(figures: Figures, distribution: Distribution): string {
  const workspaces = distribution.summary.map((s) => s.workspace);
  const cellOf = (w: string, bucket: number) =>
    count(distribution.counts.find((c) => c.workspace === w && c.bucket === bucket)?.requests ?? 0);
  const rows = distribution.buckets.map((b, i) => [esc(b.label), ...workspaces.map((w) => cellOf(w, i))]);
  const lines = perWorkspace(figures, distribution.summary, ([s]) => {
    const { p50S, p90S, requests } = s!;
    return `median <b>${duration(p50S)}</b>, 90th percentile <b>${duration(p90S)}</b>, over ${count(requests)} requests`;
  });
  const head = ['', ...(several(figures) ? workspaces : ['requests'])];
  return `<p>${lines.join('<br>') || 'No request in the period.'}</p>\n${table(head, rows)}`;
}

function csatNumbers(figures: Figures, groups: CsatGroup[], who: string, none: string): string {
  const rows = groups.map((g) => [
    ...workspaceCell(figures, g.workspace),
    esc(g.name, none),
    g.mean.toFixed(2),
    count(g.ratings),
  ]);
  if (rows.length === 0) return '<p>No rated request closed in the period.</p>';
  return table(withWorkspace(figures, [who, 'mean', 'ratings']), rows, several(figures) ? 2 : 1);
}

function slowestTable(figures: Figures, generatedAt: Date): string {
  const ageOf = (r: OpenRequest) =>
    r.createdAt === null ? null : (generatedAt.getTime() - Date.parse(`${r.createdAt.replace(' ', 'T')}Z`)) / 1000;
  const rows = figures.slowestOpen.map((r) => [
    ...workspaceCell(figures, r.workspace),
    esc(r.requestId),
    esc(r.status),
    esc(r.team),
    esc(r.assignee, 'unassigned'),
    esc(r.customer),
    esc(r.createdAt),
    duration(ageOf(r)),
    r.firstResponseS === null ? 'none yet' : duration(r.firstResponseS),
    r.escalated ? 'yes' : '',
    r.reopenCount > 0 ? count(r.reopenCount) : '',
  ]);
  if (rows.length === 0) return '<p>No request is open.</p>';
  const head = ['request', 'status', 'team', 'assignee', 'customer', 'created (UTC)', 'open for', 'first response'];
  return table(withWorkspace(figures, [...head, 'escalated', 'reopened']), rows, 99);
}

/** What each chart counts, from the metric views' definitions (docs/lake.md, "Metric views"). */
const about: Record<ChartId, string> = {
  'per-day': 'Requests created on each UTC day, and requests whose final closing fell on it.',
  backlog:
    'Requests open at the end of each day: created on or before it and not closed by its end. A request reopened after closing counts as open until its final closing.',
  'first-response':
    'Time from creation to the first activity item by someone other than the requestor, for the requests created in the period that have one.',
  resolution: 'Time from creation to the final closing, for the requests closed in the period.',
  'csat-team':
    "Mean CSAT of the rated requests closed in the period, by the team of the request's latest state. A request's rating is the mean over raters of each rater's latest rating; each rated request weighs once.",
  'csat-assignee': 'The same by the current assignee.',
};

function chartNumbers(figures: Figures, id: ChartId): string {
  switch (id) {
    case 'per-day':
      return perDayNumbers(figures);
    case 'backlog':
      return backlogNumbers(figures);
    case 'first-response':
      return distributionNumbers(figures, figures.firstResponse);
    case 'resolution':
      return distributionNumbers(figures, figures.resolution);
    case 'csat-team':
      return csatNumbers(figures, figures.csatByTeam, 'team', '(no team)');
    case 'csat-assignee':
      return csatNumbers(figures, figures.csatByAssignee, 'assignee', '(unassigned)');
  }
}

function chartSection(figures: Figures, chart: Chart): string {
  const drawing = chart.svg ?? '<p class="empty">Nothing to draw in the period.</p>';
  return [
    `<section id="${chart.id}">`,
    `<h2>${esc(chart.title)}</h2>`,
    `<p class="about">${esc(about[chart.id])}</p>`,
    `<div class="pair"><figure>${drawing}</figure>`,
    `<div class="numbers">${chartNumbers(figures, chart.id)}</div></div>`,
    '</section>',
  ].join('\n');
}

/** One line per workspace: the period's totals and medians, the backlog now, CSAT. */
function summary(figures: Figures): string {
  const rows = figures.workspaces.map((w) => {
    const days = figures.perDay.filter((d) => d.workspace === w.workspace);
    const firstResponse = figures.firstResponse.summary.find((s) => s.workspace === w.workspace);
    const resolution = figures.resolution.summary.find((s) => s.workspace === w.workspace);
    const rated = figures.csatByTeam.filter((g) => g.workspace === w.workspace);
    const ratings = rated.reduce((n, g) => n + g.ratings, 0);
    const csat = ratings === 0 ? '–' : (rated.reduce((s, g) => s + g.mean * g.ratings, 0) / ratings).toFixed(2);
    return [
      esc(w.workspace),
      count(days.reduce((n, d) => n + d.created, 0)),
      count(days.reduce((n, d) => n + d.closed, 0)),
      count(w.open),
      duration(firstResponse?.p50S ?? null),
      duration(resolution?.p50S ?? null),
      `${csat} <small>(${count(ratings)})</small>`,
    ];
  });
  const head = ['workspace', 'created', 'closed', 'open now', 'median first response', 'median resolution', 'CSAT'];
  return `<section id="summary"><h2>Summary</h2>\n${table(head, rows)}\n</section>`;
}

function period(figures: Figures): string {
  const since = figures.filters.since;
  if (since === undefined) return 'all days in the lake';
  return `from ${esc(since)} (UTC): the days from then on, first responses of the requests created since, resolutions and ratings of those closed since; the backlog and the open requests whenever created`;
}

function header(input: ReportInput): string {
  const { figures } = input;
  const latest = figures.workspaces
    .map((w) => w.through ?? '')
    .sort()
    .at(-1);
  const stamp = input.generatedAt.toISOString().slice(0, 16).replace('T', ' ');
  return [
    `<h1>Support report${figures.filters.workspace ? `: ${esc(figures.filters.workspace)}` : ''}</h1>`,
    `<p class="meta">Generated ${esc(stamp)} UTC from the lake at <code>${esc(input.lakeDir)}</code> (DuckDB over the views request_metrics, team_daily, assignee_daily, payload_drift and payload_drift_daily). `,
    `Workspaces: ${figures.workspaces.map((w) => esc(w.workspace)).join(', ')}. Period: ${period(figures)}. Latest event: ${esc(latest)} UTC.</p>`,
  ].join('\n');
}

function slowestSection(figures: Figures, generatedAt: Date): string {
  const shown = figures.slowestOpen.length;
  const open = figures.workspaces.reduce((n, w) => n + w.open, 0);
  return [
    '<section id="slowest-open">',
    '<h2>Slowest open requests</h2>',
    `<p class="about">${shown < open ? `The ${count(shown)} oldest of the ${count(open)}` : `The ${count(open)}`} open requests (no final closing yet), oldest first; "open for" runs to the report's time.</p>`,
    slowestTable(figures, generatedAt),
    '</section>',
  ].join('\n');
}

/** Payload drift: the paths first seen in the period and those whose problems rose (services/report/drift.ts). */
function driftSection(figures: Figures): string {
  const { period, newPaths, rising } = figures.drift;
  const open = '<section id="payload-drift">\n<h2>Payload drift</h2>';
  if (period === null)
    return `${open}\n<p class="empty">No payload drift recorded: every body matched what Thena documents.</p>\n</section>`;
  const where = (d: { source: string; path: string; kind: string }) => [
    esc(d.source),
    `<code>${esc(d.path)}</code>`,
    esc(d.kind),
  ];
  const days = `${esc(period.from)} to ${esc(period.to)}`;
  const before = `${esc(period.previousFrom)} to the day before ${esc(period.from)}`;
  return [
    open,
    `<p class="about">Where Thena's bodies differed from what it documents (the views payload_drift and payload_drift_daily; docs/drift.md), ${days} (UTC). A path new here fired the PayloadDrift alert unless acknowledged.</p>`,
    `<h3>New paths</h3>`,
    newPaths.length === 0
      ? '<p class="empty">None first seen in the period.</p>'
      : table(
          withWorkspace(figures, ['source', 'path', 'kind', 'first seen', 'events', 'example']),
          newPaths.map((d) => [
            ...workspaceCell(figures, d.workspace),
            ...where(d),
            esc(d.firstSeen),
            count(d.events),
            d.example === null ? '–' : `<code>${esc(d.example)}</code>`,
          ]),
          several(figures) ? 5 : 4,
        ),
    `<h3>Problems that rose</h3>`,
    `<p class="about">Paths seen before the period with more events in it than in the as many days before (${before}).</p>`,
    rising.length === 0
      ? '<p class="empty">None rose.</p>'
      : table(
          withWorkspace(figures, ['source', 'path', 'kind', 'events before', 'events in the period']),
          rising.map((d) => [...workspaceCell(figures, d.workspace), ...where(d), count(d.before), count(d.during)]),
          several(figures) ? 4 : 3,
        ),
    '</section>',
  ].join('\n');
}

const style = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 1180px; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; } h2 { font-size: 1.2rem; margin: 2rem 0 .25rem; } h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
.meta, .about { color: #555; font-size: .9rem; max-width: 70rem; }
.pair { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
figure { margin: 0; overflow-x: auto; max-width: 100%; }
.numbers { font-size: .9rem; flex: 1 1 18rem; max-width: 40rem; }
table { border-collapse: collapse; font-size: .85rem; }
th, td { border-bottom: 1px solid #ddd; padding: .2rem .6rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
summary { cursor: pointer; margin-bottom: .4rem; } .empty { color: #777; font-style: italic; }
`;

/** The whole page. */
export function renderReport(input: ReportInput): string {
  const { figures } = input;
  const title = `Support report${figures.filters.workspace ? `: ${figures.filters.workspace}` : ''}`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${style}</style>`,
    '</head>',
    '<body>',
    header(input),
    summary(figures),
    ...input.charts.map((chart) => chartSection(figures, chart)),
    slowestSection(figures, input.generatedAt),
    driftSection(figures),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
