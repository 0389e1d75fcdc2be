// CPU time of a process from /proc (Linux): user plus system seconds it has used so far; and what a
// benchmark's pipeline cost its services, per event. For benchmarks that compare the CPU cost of
// services run as child processes.
import { readFileSync } from 'node:fs';
import type { Pipeline } from './pipeline.js';
import type { Service } from './service.js';

/** Clock ticks a second, as /proc counts them (USER_HZ: 100 on every Linux this runs on). */
const ticksPerSecond = 100;

/** CPU seconds the process has used, or undefined once it has gone. */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name, in parentheses, may hold spaces: the fields are counted after its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Every service of the pipeline as a child process: the ingress and each consumer instance that runs. */
const servicesOf = (p: Pipeline): Service[] => [
  p.ingress,
  ...p.consumerNames.flatMap((name) => [p.consumer(name, 0), p.consumer(name, 1)]),
];

/** Each service's CPU seconds so far, by name. */
export const cpuNow = (p: Pipeline) =>
  new Map(servicesOf(p).flatMap((s) => (s.pid === undefined ? [] : [[s.name, cpuSecondsOf(s.pid) ?? NaN] as const])));

/**
 * What the run cost each service: CPU seconds per 1,000 accepted events between the load's start and
 * the last fact's sighting (the request tables' services summed), and the request-events service's
 * mean time to make a BigQuery batch durable and commit it (thena_consumer_write_seconds).
 */
export async function pipelineCosts(p: Pipeline, before: Map<string, number>, events: number): Promise<string> {
  const after = cpuNow(p);
  const perThousand = [...before].map(([name, s]) => [name, ((after.get(name)! - s) * 1000) / events] as const);
  const consumers = perThousand.filter(([name]) => name !== p.ingress.name);
  const total = consumers.reduce((n, [, s]) => n + s, 0);
  const writes = await Promise.all(
    [0, 1].map(async (i) => {
      const s = p.consumer('request-events', i as 0 | 1);
      if (s.pid === undefined) return [0, 0];
      const label = 'sink="bigquery"';
      return [
        await s.metric('thena_consumer_write_seconds_sum', label),
        await s.metric('thena_consumer_write_seconds_count', label),
      ];
    }),
  );
  const [sum, count] = writes.reduce(([a, b], [c, d]) => [a! + c!, b! + d!], [0, 0]);
  return [
    `\n  CPU seconds per 1,000 accepted events (${events} events):`,
    ...perThousand.map(([name, s]) => `    ${name.padEnd(26)} ${s.toFixed(2).padStart(6)}`),
    `    ${'consumer services, summed'.padEnd(26)} ${total.toFixed(2).padStart(6)}`,
    `  request-events' BigQuery writes: ${count} batches, mean ${count ? ((sum! / count!) * 1000).toFixed(0) : '-'} ms to append and commit`,
  ].join('\n');
}
