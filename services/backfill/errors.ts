// Failures the backfill explains in one line: what went wrong, with which value, and what to do.
// The command prints the message alone (no stack) and exits 1; the checkpoint written so far stays,
// so running the same command again resumes.

export class BackfillError extends Error {
  override name = 'BackfillError';
}

/** An HTTP answer retrying cannot fix; `status` lets an adapter add what it knows (a stale cursor). */
export class HttpError extends BackfillError {
  override name = 'HttpError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The API refused the key (401/403): retrying cannot help, the operator must change THENA_API_KEY. */
export class ApiKeyError extends HttpError {
  override name = 'ApiKeyError';
}

/** The API handed back a cursor this run already used: following it would loop for ever. */
export class RepeatedCursorError extends BackfillError {
  override name = 'RepeatedCursorError';
}

/** What a resumed run tells the operator after any failure. */
export const checkpointKept = 'the checkpoint is kept: run the same command again to resume';
