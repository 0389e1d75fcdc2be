// The pipeline's services as the local launcher starts them. Each entry is one process; the
// list grows as services land (ingress, then one consumer per table family).
export interface ServiceEntry {
  name: string;
  /** Module under services/, run with tsx in local runs (the Dockerfile runs the built JS). */
  entry: string;
  /** Whether it serves HTTP (on the configured PORT). */
  http?: boolean;
}

export const pipelineServices: ServiceEntry[] = [{ name: 'ingress', entry: 'ingress/main.ts', http: true }];
