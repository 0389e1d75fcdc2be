// A fake of Thena's requests REST API (GET /rest/v1/requests) and of its platform API's tickets
// (GET /v1/tickets) on 127.0.0.1 (a free port), for the backfill's tests. It pages a list of request
// objects by cursor and a list of tickets by page number, checks the key and the query as the real
// one is expected to, and can be scripted to misbehave: 429 with Retry-After, 5xx, a dropped
// connection, a cursor handed back twice, slow pages, each page shape the adapter reads, or tickets
// added while a run reads them.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How a page is wrapped: the shapes services/backfill/requests-api.ts accepts. */
export type PageShape = 'data' | 'requests' | 'items' | 'bare';

export interface ApiCall {
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  /** The x-api-key header (the platform API's). */
  apiKey: string | undefined;
  /** Date.now() when it arrived. */
  at: number;
}

/** An answer given instead of a page: a status (with headers and body), or a dropped connection. */
export type Scripted = { status: number; body?: string; headers?: Record<string, string> } | { drop: true };

export interface FakeApiOptions {
  /** The request objects the API holds, served in this order. */
  items: unknown[];
  /** The key it accepts (requests: `Authorization: Bearer <key>`; tickets: `x-api-key`); 'fake-key' by default. */
  key?: string;
  shape?: PageShape;
  /** Every page is answered after this long (slow pages). */
  delayMs?: number;
  /** From this page on (1-based, at least 2), a page's next cursor is the cursor it was asked with. */
  repeatCursorOnPage?: number;
  /** The tickets GET /v1/tickets serves, in this order (newest first, as a list endpoint would). */
  tickets?: unknown[];
  /** Called before a page of tickets is served, with its number: a test may add tickets here. */
  beforeTicketsPage?: (page: number, tickets: unknown[]) => void;
}

export interface FakeThenaApi {
  /** The API's root, what THENA_API_URL would be. */
  readonly url: string;
  readonly key: string;
  /** Every call received, in order. */
  readonly calls: ApiCall[];
  /** The request objects served; a test may change them between runs. */
  items: unknown[];
  /** The tickets served; a test may change them between runs. */
  tickets: unknown[];
  /** Answers for the next calls, one each, before pages are served again. */
  queue(...answers: Scripted[]): void;
  /** An answer for every call from now on; undefined serves pages again. */
  always(answer: Scripted | undefined): void;
  close(): Promise<void>;
}

/**
 * A request object as the API might hold it: request `requestId`, created `createdAt` and updated an
 * hour later, with `extra` fields over those (undefined removes one).
 */
export function apiRequest(requestId: string, createdAt: string, extra: Record<string, unknown> = {}) {
  const request: Record<string, unknown> = {
    requestId,
    status: 'OPEN',
    team_id: 'TEAM1',
    createdAt,
    updatedAt: new Date(Date.parse(createdAt) + 3_600_000).toISOString(),
    ...extra,
  };
  for (const [k, v] of Object.entries(request)) if (v === undefined) delete request[k];
  return request;
}

/** A ticket as the platform API might hold it: `id`, created `createdAt` and updated an hour later, with `extra` over those. */
export function apiTicket(id: string, createdAt: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    ticketId: id.replace(/\D/g, '') || id,
    title: `Ticket ${id}`,
    statusName: 'Open',
    teamId: 'team-1',
    createdAt,
    updatedAt: new Date(Date.parse(createdAt) + 3_600_000).toISOString(),
    ...extra,
  };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

function answerScripted(req: IncomingMessage, res: ServerResponse, answer: Scripted): void {
  if ('drop' in answer) {
    req.socket.destroy();
    return;
  }
  res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  res.end(answer.body ?? JSON.stringify({ error: `scripted ${answer.status}` }));
}

const seconds = (v: unknown) => {
  const ms = typeof v === 'object' && v !== null ? Date.parse(String((v as { createdAt?: unknown }).createdAt)) : NaN;
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
};

function wrap(shape: PageShape, items: unknown[], next: string | null): unknown {
  if (shape === 'bare') return items;
  if (shape === 'requests') return { requests: items, nextCursor: next };
  if (shape === 'items') return { items, pagination: { next_cursor: next } };
  return { data: items, next_cursor: next };
}

/** The query's problem as the API would answer it with 400, or undefined. */
function badQuery(q: Record<string, string>): string | undefined {
  for (const name of ['start_date', 'end_date']) {
    if (!/^\d+$/.test(q[name] ?? '')) return `${name} must be epoch seconds`;
  }
  const limit = Number(q.limit ?? 100);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return 'limit must be from 1 to 1000';
  if (q.next_cursor !== undefined && !/^cur_\d+$/.test(q.next_cursor)) return 'invalid cursor';
  return undefined;
}

/** Starts the fake; close() stops it. */
export async function fakeThenaApi(options: FakeApiOptions): Promise<FakeThenaApi> {
  const key = options.key ?? 'fake-key';
  const shape = options.shape ?? 'data';
  const calls: ApiCall[] = [];
  const queued: Scripted[] = [];
  let always: Scripted | undefined;
  const api = { items: options.items, tickets: options.tickets ?? [] };

  const servePage = async (res: ServerResponse, q: Record<string, string>) => {
    const [from, to] = [Number(q.start_date), Number(q.end_date)];
    const inRange = api.items.filter((item) => {
      const s = seconds(item);
      return s === undefined || (s >= from && s <= to);
    });
    const limit = Number(q.limit ?? 100);
    const offset = q.next_cursor === undefined ? 0 : Number(q.next_cursor.slice(4));
    const page = Math.floor(offset / limit) + 1;
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    if (shape === 'bare') return json(res, 200, inRange);
    const items = inRange.slice(offset, offset + limit);
    let next: string | null = offset + limit < inRange.length ? `cur_${offset + limit}` : null;
    if (options.repeatCursorOnPage !== undefined && page >= options.repeatCursorOnPage) next = q.next_cursor ?? null;
    json(res, 200, wrap(shape, items, next));
  };

  const serveTickets = async (res: ServerResponse, q: Record<string, string>) => {
    const [page, limit] = [Number(q.page ?? 1), Number(q.limit ?? 20)];
    if (!Number.isInteger(page) || page < 1) return json(res, 400, { error: 'page must be a whole number from 1' });
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return json(res, 400, { error: 'limit must be from 1 to 100' });
    options.beforeTicketsPage?.(page, api.tickets);
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const from = (page - 1) * limit;
    const data = api.tickets.slice(from, from + limit);
    json(res, 200, { data, meta: { page, limit, hasMore: from + limit < api.tickets.length } });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const apiKey = req.headers['x-api-key'] as string | undefined;
    calls.push({ path: url.pathname, query, authorization: req.headers.authorization, apiKey, at: Date.now() });
    const scripted = queued.shift() ?? always;
    if (scripted) return answerScripted(req, res, scripted);
    const route = req.method === 'GET' ? url.pathname : '';
    if (route !== '/rest/v1/requests' && route !== '/v1/tickets') return json(res, 404, { error: 'not found' });
    const authorised = route === '/v1/tickets' ? apiKey === key : req.headers.authorization === `Bearer ${key}`;
    if (!authorised) return json(res, 401, { error: 'unauthorized' });
    if (route === '/v1/tickets') return void serveTickets(res, query);
    const problem = badQuery(query);
    if (problem) return json(res, 400, { error: problem });
    void servePage(res, query);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    key,
    calls,
    get items() {
      return api.items;
    },
    set items(items: unknown[]) {
      api.items = items;
    },
    get tickets() {
      return api.tickets;
    },
    set tickets(tickets: unknown[]) {
      api.tickets = tickets;
    },
    queue: (...answers) => void queued.push(...answers),
    always: (answer) => void (always = answer),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
