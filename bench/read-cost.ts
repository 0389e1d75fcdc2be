// What reading an event costs each request table, per event, in CPU microseconds, without Kafka:
// from the message's value alone (the envelope decoded, parsed and checked whole, then flattened),
// as the runtime runs it (the tables that read only summary fields take the summary header), and
// what an internal topic of flattened rows would cost its readers and its writer instead. Also the
// ingress's cost of the summary. The figures behind docs/design.md's "Reading an event once".
// Not a test.
//
//   node --import tsx bench/read-cost.ts [-- --events 5000 --activity 20 --rounds 5]
import { benchEvents } from './events.js';
import { parseArgs } from 'node:util';
import { eventEnvelope, eventMessage } from '../services/ingress/envelope.js';
import type { Row, SourceMessage } from '../schemas/flattener.js';
import { requestSummaryHeader } from '../schemas/request-event.schema.js';
import { catalogue } from '../tables/catalogue.js';
import { topics } from '../schemas/topics.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '5000' },
    activity: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '5' },
  },
});
const eventCount = Number(args.events);
const activityPerEvent = Number(args.activity);
const rounds = Number(args.rounds);

const cpuMicros = (f: () => void): number => {
  const from = process.cpuUsage();
  f();
  const { user, system } = process.cpuUsage(from);
  return user + system;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const replacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

const events = benchEvents(eventCount, activityPerEvent);
const at = new Date();
const messages = events.map((e): { value: Buffer; headers?: Record<string, Buffer> } => {
  const m = eventMessage(e, at);
  return {
    value: Buffer.from(m.value),
    headers: m.headers && { [requestSummaryHeader]: Buffer.from(m.headers[requestSummaryHeader]!) },
  };
});
const tables = catalogue.filter((t) => t.consumer.topic === topics.requestEvents.name);
/** A message as the runtime hands it to a flattener: the value decoded when read, headers on demand. */
const sourceOf = (m: (typeof messages)[number], withHeaders: boolean): SourceMessage => ({
  topic: topics.requestEvents.name,
  partition: 0,
  offset: '0',
  get value() {
    return m.value.toString('utf8');
  },
  header: (name) => (withHeaders ? m.headers?.[name]?.toString('utf8') : undefined),
});
const rounds_ = (f: () => void) => {
  const out: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    const t = cpuMicros(f) / eventCount;
    if (r > 0) out.push(t); // the first round warms up
  }
  return median(out);
};
const f1 = (x: number) => x.toFixed(1);

const bytes = (xs: Buffer[]) => Math.round(xs.reduce((n, b) => n + b.length, 0) / eventCount);
console.log(
  `read cost: ${eventCount} events, envelope ${bytes(messages.map((m) => m.value))} B, summary header ` +
    `${bytes(messages.flatMap((m) => (m.headers ? Object.values(m.headers) : [])))} B, ${activityPerEvent} activity ` +
    `items each; CPU µs per event, median of ${rounds} rounds`,
);
console.log(
  `\ningress, per event: envelope alone ${f1(rounds_(() => events.forEach((e) => eventEnvelope(e, at))))} µs, ` +
    `envelope and summary ${f1(rounds_(() => events.forEach((e) => eventMessage(e, at))))} µs`,
);
console.log(
  `\n  ${'table'.padEnd(20)} ${'value'.padStart(8)} ${'as run'.padStart(8)} | ${'rows record B'.padStart(13)} ${'read'.padStart(6)} ${'write'.padStart(6)}`,
);
for (const t of tables) {
  const flatten = t.consumer.flatten;
  const fromValue = rounds_(() => messages.forEach((m) => flatten(sourceOf(m, false))));
  const asRun = rounds_(() => messages.forEach((m) => flatten(sourceOf(m, true))));
  const results = messages.map((m) => flatten(sourceOf(m, true)));
  let records: Buffer[] = [];
  const write = rounds_(() => {
    records = results.map((x) => Buffer.from(JSON.stringify(x.kind === 'rows' ? x.rows : [], replacer)));
  });
  const read = rounds_(() => {
    for (const rec of records) {
      const rows = JSON.parse(rec.toString('utf8')) as Row[];
      for (const row of rows) if (typeof row.event_time === 'string') row.event_time = BigInt(row.event_time);
    }
  });
  console.log(
    `  ${t.consumer.service.padEnd(20)} ${f1(fromValue).padStart(8)} ${f1(asRun).padStart(8)} | ${String(bytes(records)).padStart(13)} ${f1(read).padStart(6)} ${f1(write).padStart(6)}`,
  );
}
console.log(`
  value: the flattener given the message's value alone (the envelope parsed whole)
  as run: given the summary header too, as the runtime does (request_csat and request_assignments read it)
  rows record: the table's rows as JSON, what an internal topic of flattened rows would carry: its size,
  and the CPU to read it back and to write it (both besides the flattening that made the rows)`);
