// The pipeline's services as the local launcher starts them, one process each: the ingress, and
// the consumer of every table in the catalogue.
import { catalogue } from '../../tables/catalogue.js';

export interface ServiceEntry {
  name: string;
  /** Module under services/ and its arguments, run with tsx (the Dockerfile runs the built JS). */
  entry: string;
  args?: string[];
  /** Port of a consumer's /healthz, /readyz and /metrics before LOCAL_PORT_OFFSET is added. */
  metricsPort?: number;
}

export const pipelineServices: ServiceEntry[] = [
  { name: 'ingress', entry: 'ingress/main.ts' },
  ...catalogue.map(({ consumer }) => ({
    name: consumer.service,
    entry: 'consumers/main.ts',
    args: [consumer.service],
    metricsPort: consumer.metricsPort,
  })),
];
