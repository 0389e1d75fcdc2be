// The pipeline's services as the local launcher starts them. Each entry is one process; the
// list grows as services land (ingress, then one consumer per table family).
export interface ServiceEntry {
  name: string;
  /** Module under services/, run with tsx in local runs (the Dockerfile runs the built JS). */
  entry: string;
  /** Port it listens on, if any, for the "where is what" table. */
  port?: number;
}

export const pipelineServices: ServiceEntry[] = [];
