// Thena's platform API for tickets: GET {THENA_API_URL}/v1/tickets?page=N&limit=L (numbered pages
// from 1), authorised by an `x-api-key` header, as its documentation shows (its teamId and dateRange
// filters are not used: every team's tickets are read, and --since is applied here). Its answers are only partly documented, so
// every assumption about them lives in this file: the tickets are the array under `data`, `tickets`
// or `items` (or the answer is a bare array); the last page is one with fewer tickets than asked, or
// one whose `meta.hasMore` / `hasMore` is false, or whose page number reaches `meta.totalPages`. An
// answer that fits none of these stops the run, saying what it held.
//
// The API is not asked for a range: every page is read, and the tickets updated (else created)
// before --since are left out here. Numbered pages shift when tickets are added while the run reads
// them: a ticket added at the front pushes the others one place on, so the next page repeats one
// rather than skips one, and a repeated ticket is the same snapshot with the same eventId.
import { BackfillError, checkpointKept } from './errors.js';
import { answerJson, type PoliteClient } from './polite.js';
import { pagedSource, type Page, type Source } from './sources.js';
import { thenaTime } from '../../tables/platform/time.js';

export const maxTicketPageSize = 100;

export interface PlatformApiOptions {
  /** THENA_API_URL: the API's root. */
  baseUrl: string;
  /** THENA_API_KEY. */
  key: string;
  /** Tickets updated (else created) before this are left out. */
  since: Date;
  /** Tickets per page; more than maxTicketPageSize is asked as maxTicketPageSize. */
  pageSize: number;
  http: PoliteClient;
}

const arrayKeys = ['data', 'tickets', 'items'] as const;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Whether the answer says it is the last page, when it says so at all. */
function saysLast(body: Record<string, unknown>, page: number): boolean | undefined {
  const meta = isObject(body.meta) ? body.meta : {};
  const hasMore = meta.hasMore ?? body.hasMore;
  if (typeof hasMore === 'boolean') return !hasMore;
  const total = meta.totalPages ?? body.totalPages;
  if (typeof total === 'number' && Number.isInteger(total)) return page >= total;
  return undefined;
}

/** A parsed answer as the tickets of page `page` and whether more follow, or why it fits no shape known here. */
export function readTicketsPage(
  body: unknown,
  page: number,
  asked: number,
): { items: unknown[]; last: boolean } | { problem: string } {
  if (Array.isArray(body)) return { items: body, last: body.length < asked };
  if (!isObject(body)) return { problem: `the answer is ${String(JSON.stringify(body)).slice(0, 80)}` };
  const arrays = arrayKeys.filter((k) => Array.isArray(body[k]));
  if (arrays.length === 0) {
    const keys = Object.keys(body).slice(0, 12).join(', ') || 'none';
    return { problem: `the answer holds no array under ${arrayKeys.join(', ')} (its keys: ${keys})` };
  }
  if (arrays.length > 1) return { problem: `the answer holds arrays under ${arrays.join(' and ')}` };
  const items = body[arrays[0]!] as unknown[];
  return { items, last: saysLast(body, page) ?? items.length < asked };
}

/** The URL of one page. */
export function ticketsPageUrl(o: Pick<PlatformApiOptions, 'baseUrl' | 'pageSize'>, page: number): URL {
  const url = new URL(`${o.baseUrl.replace(/\/+$/, '')}/v1/tickets`);
  url.searchParams.set('page', String(page));
  url.searchParams.set('limit', String(o.pageSize));
  return url;
}

/** The time a ticket is ordered by (updatedAt, else createdAt), in µs; null when it has none. */
export const ticketTime = (ticket: Record<string, unknown>): bigint | null =>
  thenaTime(ticket.updatedAt) ?? thenaTime(ticket.createdAt);

/** Keeps what --since asks for; an item that is not a ticket with a time is kept, for the backfill to dead-letter. */
function inRange(item: unknown, since: Date): boolean {
  if (!isObject(item)) return true;
  const at = ticketTime(item);
  return at === null || at >= BigInt(since.getTime()) * 1000n;
}

async function fetchTicketsPage(o: PlatformApiOptions, page: number, asked: number): Promise<Page> {
  const headers = { 'x-api-key': o.key, accept: 'application/json' };
  const answer = await o.http.get(ticketsPageUrl({ ...o, pageSize: asked }, page), headers);
  const fail = (problem: string) =>
    new BackfillError(
      `page ${page} of the Thena platform API (tickets): ${problem}; nothing of it was published and ${checkpointKept} ` +
        `(if Thena changed its answers, services/backfill/platform-api.ts is where they are read)`,
    );
  const body = answerJson(answer, fail);
  const read = readTicketsPage(body, page, asked);
  if ('problem' in read) throw fail(read.problem);
  return { items: read.items.filter((item) => inRange(item, o.since)), next: read.last ? undefined : String(page + 1) };
}

/** The source of `npm run backfill -- --source platform --since`: every ticket updated since then. */
export function platformApiSource(o: PlatformApiOptions): Source {
  const asked = Math.min(maxTicketPageSize, Math.max(1, Math.floor(o.pageSize)));
  return pagedSource({
    describe: `the Thena platform API (tickets), updated from ${o.since.toISOString()}`,
    // A page's next token is the next page's number, so a checkpoint resumes at the right page.
    fetchPage: (_token, page) => fetchTicketsPage(o, page, asked),
  });
}
