// The pipeline's services as the local launcher starts them, one process each.
export interface ServiceEntry {
  name: string;
  /** Module under services/ and its arguments, run with tsx (the Dockerfile runs the built JS). */
  entry: string;
  args?: string[];
  /** Variables set for this service only. */
  env?: Record<string, string>;
  /** What to print as its address. */
  listens: (env: NodeJS.ProcessEnv) => string;
}

const consumer = (name: string, metricsPort: number): ServiceEntry => ({
  name,
  entry: 'consumers/main.ts',
  args: [name],
  env: { METRICS_PORT: String(metricsPort) },
  listens: (env) => `consumer; metrics http://${env.HOST}:${metricsPort}/metrics`,
});

export const pipelineServices: ServiceEntry[] = [
  {
    name: 'ingress',
    entry: 'ingress/main.ts',
    listens: (env) => `http://${env.HOST}:${env.PORT ?? 8080}/webhooks/thena`,
  },
  consumer('request-events', 9101),
  consumer('request-activity', 9102),
  consumer('request-assignments', 9103),
  consumer('request-csat', 9104),
  consumer('rejected-events', 9105),
];
