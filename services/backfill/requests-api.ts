// Thena's requests REST API (private beta): GET {THENA_API_URL}/rest/v1/requests with start_date
// and end_date (epoch seconds), limit (at most 1000) and next_cursor, authorised by
// `Authorization: Bearer <key>`. Its answers are not documented in detail, so every assumption about
// their shape lives in this file: the requests are the array under `data`, `requests` or `items`
// (or the answer is a bare array), the next page's cursor is under `next_cursor`, `nextCursor` or
// `pagination.next_cursor`, and no cursor (absent, null, empty) means the last page. An answer that
// fits none of these stops the run, saying what it held, rather than being guessed at.
import { BackfillError, checkpointKept, HttpError } from './errors.js';
import { answerJson, type PoliteClient } from './polite.js';
import { pagedSource, type Page, type Source } from './sources.js';

export const maxPageSize = 1000;
export const defaultPageSize = 100;

export interface RequestsApiOptions {
  /** THENA_API_URL: the API's root, without /rest/v1. */
  baseUrl: string;
  /** THENA_API_KEY. */
  key: string;
  /** Both ends are sent to the second, as the API takes them (start_date, end_date). */
  since: Date;
  until: Date;
  /** Requests per page; more than maxPageSize is asked as maxPageSize. */
  pageSize: number;
  http: PoliteClient;
  /** Told of an answer that is read but looks suspicious (a full page without a cursor). */
  warn?: (line: string) => void;
}

const arrayKeys = ['data', 'requests', 'items'] as const;
const cursorPaths = [['next_cursor'], ['nextCursor'], ['pagination', 'next_cursor']] as const;
const cursorNames = cursorPaths.map((p) => p.join('.')).join(', ');

const at = (body: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>(
    (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
    body,
  );

/** The next cursor: undefined for the last page; a string saying why when it cannot be told. */
function cursorOf(body: unknown): { next: string | undefined } | { problem: string } {
  const found = new Map<string, string>();
  for (const path of cursorPaths) {
    const v = at(body, path);
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string' && typeof v !== 'number') {
      return { problem: `${path.join('.')} holds ${JSON.stringify(v).slice(0, 80)}, not a cursor` };
    }
    found.set(path.join('.'), String(v));
  }
  if (new Set(found.values()).size > 1) {
    return { problem: `cursors that differ under ${[...found.keys()].join(' and ')}` };
  }
  return { next: [...found.values()][0] };
}

/** A parsed answer as a page, or why it fits no shape this adapter knows. */
export function readRequestsPage(body: unknown): Page | { problem: string } {
  if (Array.isArray(body)) return { items: body, next: undefined };
  if (body === null || typeof body !== 'object')
    return { problem: `the answer is ${String(JSON.stringify(body)).slice(0, 80)}` };
  const arrays = arrayKeys.filter((k) => Array.isArray((body as Record<string, unknown>)[k]));
  if (arrays.length === 0) {
    const keys = Object.keys(body).slice(0, 12).join(', ') || 'none';
    return { problem: `the answer holds no array under ${arrayKeys.join(', ')} (its keys: ${keys})` };
  }
  if (arrays.length > 1) return { problem: `the answer holds arrays under ${arrays.join(' and ')}` };
  const cursor = cursorOf(body);
  if ('problem' in cursor) return cursor;
  return { items: (body as Record<string, unknown[]>)[arrays[0]!]!, next: cursor.next };
}

/** The URL of one page. */
export function pageUrl(o: Pick<RequestsApiOptions, 'baseUrl' | 'since' | 'until' | 'pageSize'>, cursor?: string): URL {
  const url = new URL(`${o.baseUrl.replace(/\/+$/, '')}/rest/v1/requests`);
  url.searchParams.set('start_date', String(Math.floor(o.since.getTime() / 1000)));
  url.searchParams.set('end_date', String(Math.floor(o.until.getTime() / 1000)));
  url.searchParams.set('limit', String(Math.min(maxPageSize, Math.max(1, Math.floor(o.pageSize)))));
  if (cursor !== undefined) url.searchParams.set('next_cursor', cursor);
  return url;
}

/** A 400 for a page asked by cursor: most likely the cursor went stale while the run was stopped. */
function staleCursor(err: unknown, cursor: string | undefined): unknown {
  if (!(err instanceof HttpError) || err.status !== 400 || cursor === undefined) return err;
  return new BackfillError(
    `${err.message}; the API refused the cursor the checkpoint resumes from (cursors may expire): ` +
      `--again starts over from the first page, and the snapshots read again get the same eventIds`,
  );
}

/** Fetches and reads one page; throws a BackfillError for an answer it cannot read. */
async function fetchRequestsPage(o: RequestsApiOptions, cursor: string | undefined, page: number): Promise<Page> {
  const headers = { authorization: `Bearer ${o.key}`, accept: 'application/json' };
  const answer = await o.http.get(pageUrl(o, cursor), headers).catch((err: unknown) => {
    throw staleCursor(err, cursor);
  });
  const fail = (problem: string) =>
    new BackfillError(
      `page ${page} of the Thena requests API: ${problem}; nothing of it was published and ${checkpointKept} ` +
        `(if Thena changed its answers, services/backfill/requests-api.ts is where they are read)`,
    );
  const body = answerJson(answer, fail);
  const read = readRequestsPage(body);
  if ('problem' in read) throw fail(read.problem);
  if (read.next === undefined && read.items.length >= Math.min(o.pageSize, maxPageSize)) {
    o.warn?.(
      `page ${page} is full (${read.items.length} requests) but names no next cursor under ${cursorNames}: ` +
        `taken as the last page; if the API has more, it names its cursor elsewhere`,
    );
  }
  return read;
}

/** The source of `npm run backfill -- --since`: Thena's requests between `since` and `until`. */
export function requestsApiSource(o: RequestsApiOptions): Source {
  return pagedSource({
    describe: `the Thena requests API, ${o.since.toISOString()} to ${o.until.toISOString()}`,
    until: o.until,
    fetchPage: (cursor, page) => fetchRequestsPage(o, cursor, page),
  });
}
