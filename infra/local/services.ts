// The pipeline's services as the local launcher starts them, one process each.
export interface ServiceEntry {
  name: string;
  /** Module under services/ and its arguments, run with tsx (the Dockerfile runs the built JS). */
  entry: string;
  args?: string[];
  /** Port of a consumer's /healthz, /readyz and /metrics before LOCAL_PORT_OFFSET is added. */
  metricsPort?: number;
}

const consumer = (name: string, metricsPort: number): ServiceEntry => ({
  name,
  entry: 'consumers/main.ts',
  args: [name],
  metricsPort,
});

export const pipelineServices: ServiceEntry[] = [
  { name: 'ingress', entry: 'ingress/main.ts' },
  consumer('request-events', 9101),
  consumer('request-activity', 9102),
  consumer('request-assignments', 9103),
  consumer('request-csat', 9104),
  consumer('rejected-events', 9105),
];
