// BigQuery's Storage Write API through @google-cloud/bigquery-storage, reduced to what the sink
// needs: committed streams written at explicit offsets, and their finalization. Every answer is
// sorted into a verdict the sink can act on; an answer that says nothing about the append (the
// connection broke, the service is unavailable) is thrown as retryable, since the rows may or may
// not have been written.
import * as grpc from '@grpc/grpc-js';
// The writer and the schema adapter only: the package's index also loads its read client (Apache
// Arrow and four API versions), 0.1–0.15 CPU-s more at every consumer's start.
import * as adapt from '@google-cloud/bigquery-storage/build/src/adapt/index.js';
import * as managedwriter from '@google-cloud/bigquery-storage/build/src/managedwriter/index.js';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
import type { Config } from '../shared/config.js';
import { RetryableError } from '../shared/retry.js';

export type WriteClient = InstanceType<typeof managedwriter.WriterClient>;
type JSONWriter = InstanceType<typeof managedwriter.JSONWriter>;
type ProtoDescriptor = ConstructorParameters<typeof managedwriter.JSONWriter>[0]['protoDescriptor'];
/** A row for JSONWriter: column name to value (proto3 JSON: int64 as decimal text). */
export type JSONRow = Parameters<JSONWriter['appendRows']>[0][number];

function emulatorAuth(): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: 'emulator', expiry_date: Number.MAX_SAFE_INTEGER });
  return client;
}

/**
 * A client of Google's Storage Write API, or of an emulator's when BIGQUERY_STORAGE_API_ENDPOINT
 * is set (plaintext gRPC, no credentials).
 */
export function createWriteClient(config: Pick<Config, 'BIGQUERY_STORAGE_API_ENDPOINT'>): WriteClient {
  const endpoint = config.BIGQUERY_STORAGE_API_ENDPOINT;
  if (!endpoint) return new managedwriter.WriterClient();
  const colon = endpoint.lastIndexOf(':');
  return new managedwriter.WriterClient({
    apiEndpoint: endpoint.slice(0, colon),
    port: Number(endpoint.slice(colon + 1)),
    sslCreds: grpc.credentials.createInsecure(),
    // An emulator is a local process that is back within seconds of a restart. gRPC's reconnection
    // backoff (from 1 s, growing to 120 s) had grown to 10–17 s by the end of an 18 s outage, and
    // each call waited out its 15 s deadline for a connection long after the emulator answered.
    'grpc.initial_reconnect_backoff_ms': 250,
    'grpc.max_reconnect_backoff_ms': 1_000,
    // Credentials are never asked for; without a client of its own, the library probes for them.
    auth: new GoogleAuth({ authClient: emulatorAuth() }) as never,
  });
}

/** gRPC status codes the verdicts are made of. */
const Code = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, RESOURCE_EXHAUSTED: 8, OUT_OF_RANGE: 11 } as const;

/** Our own deadline on each call: gax's defaults retry some calls for many minutes. */
const callOptions = { timeout: 15_000, maxRetries: 0 };

export type AppendOutcome =
  /** The rows are in the table. */
  | { kind: 'appended' }
  /** Rows already sit at that offset: an earlier attempt of this append landed. */
  | { kind: 'exists' }
  /** BigQuery refused these rows (by index in the append) and wrote none of the append. */
  | { kind: 'refused'; rows: { index: number; message: string }[] }
  /** The stream no longer takes rows: finalized (by a newer owner of the partition), or unknown. */
  | { kind: 'gone'; message: string }
  /** The server refused the request for its size before reading it: nothing was written. */
  | { kind: 'too-large'; message: string };

interface StatusLike {
  code?: number | null;
  message?: string | null;
}

const isGone = (s: StatusLike) =>
  s.code === Code.NOT_FOUND ||
  s.code === Code.OUT_OF_RANGE ||
  (s.code === Code.INVALID_ARGUMENT && /stream/i.test(s.message ?? ''));

/**
 * A request refused for its size: gRPC's own limit (RESOURCE_EXHAUSTED, "Received message larger
 * than max", the emulator's 4 MiB) or BigQuery's ("AppendRows request too large"). BigQuery also
 * answers RESOURCE_EXHAUSTED for throughput quotas, which are waited out, so the message decides.
 */
const isTooLarge = (s: StatusLike) =>
  (s.code === Code.RESOURCE_EXHAUSTED || s.code === Code.INVALID_ARGUMENT) &&
  /larger than max|too large/i.test(s.message ?? '');

function unknownOutcome(what: string, cause: unknown): RetryableError {
  return new RetryableError(`BigQuery Storage Write API: ${what}: ${(cause as Error)?.message ?? String(cause)}`, {
    cause,
  });
}

/** Rejects after `ms`: the client's own retries of some calls run for minutes. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * A committed stream: rows are in the table as soon as an append is answered. Each append is one
 * AppendRows call, closed once answered: a call held open holds a server worker for its whole life
 * (the emulator serves 16 calls at once), and a batch a second per partition does not need one.
 */
export class CommittedStream {
  private constructor(
    private readonly client: WriteClient,
    readonly name: string,
    private readonly protoDescriptor: ProtoDescriptor,
  ) {}

  /** Creates a committed stream on `table` (projects/P/datasets/D/tables/T). */
  static async create(client: WriteClient, table: string): Promise<CommittedStream> {
    let stream;
    try {
      stream = await client.createWriteStreamFullResponse(
        { streamType: managedwriter.CommittedStream, destinationTable: table },
        callOptions,
      );
    } catch (err) {
      throw unknownOutcome(`could not create a write stream on ${table}`, err);
    }
    if (!stream.name || !stream.tableSchema)
      throw new Error(`BigQuery created a write stream on ${table} without a name or schema`);
    const protoDescriptor = adapt.convertStorageSchemaToProto2Descriptor(stream.tableSchema, 'root');
    return new CommittedStream(client, stream.name, protoDescriptor);
  }

  /** Appends `rows` at `offset`; the verdict, or a RetryableError when the outcome is unknown. */
  async append(rows: JSONRow[], offset: number): Promise<AppendOutcome> {
    let response;
    let writer: JSONWriter | undefined;
    try {
      const connection = await this.client.createStreamConnection({ streamId: this.name });
      // The connection also emits what fails the append as an 'error' event, which would end the
      // process with no listener; the append's own result carries the same error.
      connection.on('error', () => undefined);
      writer = new managedwriter.JSONWriter({ connection, protoDescriptor: this.protoDescriptor });
      response = await withDeadline(writer.appendRows(rows, offset).getResult(), callOptions.timeout);
    } catch (err) {
      if (isTooLarge(err as StatusLike)) return { kind: 'too-large', message: (err as Error).message };
      if (isGone(err as StatusLike)) return { kind: 'gone', message: (err as Error).message };
      throw unknownOutcome(`append at offset ${offset} of ${this.name} got no answer`, err);
    } finally {
      writer?.close();
    }
    const error = response.error;
    if (!error || error.code === 0) return { kind: 'appended' };
    if (error.code === Code.ALREADY_EXISTS) return { kind: 'exists' };
    if (isTooLarge(error)) return { kind: 'too-large', message: error.message ?? `code ${error.code}` };
    const rowErrors = response.rowErrors ?? [];
    if (rowErrors.length > 0) {
      return {
        kind: 'refused',
        rows: rowErrors.map((e) => ({ index: Number(e.index ?? 0), message: e.message ?? 'refused' })),
      };
    }
    if (isGone(error)) return { kind: 'gone', message: error.message ?? `code ${error.code}` };
    throw unknownOutcome(
      `append at offset ${offset} of ${this.name} failed`,
      new Error(error.message ?? `code ${error.code}`),
    );
  }
}

/**
 * Finalizes a stream so that it takes no more rows, and returns how many it holds; 'gone' when
 * the service does not know it (an emulator restarted, or the stream expired).
 */
export async function finalizeStream(client: WriteClient, name: string): Promise<number | 'gone'> {
  try {
    const { rowCount } = await withDeadline(client.finalizeWriteStream({ name }), callOptions.timeout);
    return Number(rowCount ?? 0);
  } catch (err) {
    if (isGone(err as StatusLike)) return 'gone';
    throw unknownOutcome(`could not finalize ${name}`, err);
  }
}
