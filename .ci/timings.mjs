// Where a CI run's time went: each phase .ci/run timed (installs, checks) and each test project
// (from vitest's JSON report) beside its budget, then every test file by duration. Printed at the
// end of every run, so a run that grew slower says where. Budgets are printed, not enforced: a
// slow run is a finding, not a failure.
//
// Usage: node .ci/timings.mjs <phases-file> <vitest-json-report>
//   phases-file: lines of `<name> <seconds>`, written by .ci/run.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** Seconds each phase may take on the 2-core CI machine; the whole run 900 s. */
const budgets = {
  'npm ci': 45,
  'infra:install and check': 90,
  unit: 90,
  faults: 420,
  integration: 240,
  compose: 300,
  total: 900,
};

const [phasesFile, reportFile] = process.argv.slice(2);
const phases = readFileSync(phasesFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => {
    const at = line.lastIndexOf(' ');
    return { name: line.slice(0, at), seconds: Number(line.slice(at + 1)) };
  });

const report = JSON.parse(readFileSync(reportFile, 'utf8'));
const projectOf = (file) =>
  file.endsWith('.faults.test.ts') ? 'faults' : file.endsWith('.integration.test.ts') ? 'integration' : 'unit';
const files = report.testResults.map((r) => ({
  file: relative(process.cwd(), r.name),
  project: projectOf(r.name),
  start: r.startTime,
  end: r.endTime,
  seconds: (r.endTime - r.startTime) / 1000,
  status: r.status,
}));

// A project's time is from its first file's start to its last file's end (files run two at a time
// within the unit and integration projects, one at a time within the fault suite).
for (const project of ['unit', 'faults', 'integration']) {
  const mine = files.filter((f) => f.project === project);
  if (mine.length === 0) continue;
  const start = Math.min(...mine.map((f) => f.start));
  const end = Math.max(...mine.map((f) => f.end));
  phases.push({ name: project, seconds: Math.round((end - start) / 1000) });
}

const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const line = (name, seconds, budget) =>
  `${pad(name, 28)}${lpad(seconds, 6)} s${budget === undefined ? '' : `${lpad(budget, 7)} s${seconds > budget ? '  OVER' : ''}`}`;

console.log(`${pad('phase', 28)}${lpad('time', 8)}${lpad('budget', 9)}`);
for (const p of phases) console.log(line(p.name, p.seconds, budgets[p.name]));

console.log(`\n${pad('test file', 64)}${lpad('time', 9)}  project`);
for (const f of [...files].sort((a, b) => b.seconds - a.seconds)) {
  const mark = f.status === 'passed' ? '' : `  ${f.status.toUpperCase()}`;
  console.log(`${pad(f.file, 64)}${lpad(f.seconds.toFixed(1), 7)} s  ${f.project}${mark}`);
}
