// Where a backfill reads request objects from, behind one interface: the pages of an API (any API
// whose pages lead to the next by a token; requests-api.ts adapts Thena's requests API) and the
// lines of an NDJSON export. A source reads in chunks (a page; a run of lines). The backfill
// publishes a chunk's events and only then checkpoints past it, so a source must be able to start
// again after any chunk from what the chunk said (`done`, `resume`).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { checkpointKept, RepeatedCursorError } from './errors.js';

/** One thing a source read: a value to publish, or something it could not read at all. */
export type SourceItem =
  | {
      kind: 'item';
      value: unknown;
      /** The value's text exactly as read, when the source has it (a file's line). */
      raw?: string;
      /** Where it came from, for dead letters: "page 7, item 12", "line 40 of export.ndjson". */
      where: string;
    }
  | { kind: 'unreadable'; reason: string; message: string; raw: string; where: string };

export interface Chunk {
  items: SourceItem[];
  /** Pages or lines done once this chunk is. */
  done: number;
  /** Where the source goes on from after this chunk: a cursor, a byte offset. */
  resume: string | undefined;
  /** Nothing comes after this chunk. */
  last: boolean;
}

/** Where a resumed run starts: what the last checkpointed chunk said. */
export interface Position {
  done: number;
  resume?: string;
}

export interface Source {
  unit: 'page' | 'line';
  /** What was asked, in words, e.g. "Thena requests API, 2024-01-01T00:00:00Z to 2024-02-01T00:00:00Z". */
  describe: string;
  /** The end of an API range as this run resolved it, kept in the checkpoint for a resume. */
  until?: Date;
  /** How many pages or lines there are in all, when known (a file's lines), for the progress line. */
  total?: number;
  /** Reads chunk by chunk from the start, or after `from`. */
  read(from?: Position): AsyncIterable<Chunk>;
}

/** One page of an API: its items and the token of the next page (undefined: this was the last). */
export interface Page {
  items: unknown[];
  next: string | undefined;
}

/** Fetches a page: the first when `token` is undefined. `page` counts from 1, for messages. */
export type FetchPage = (token: string | undefined, page: number) => Promise<Page>;

const shorten = (s: string) => (s.length > 48 ? `${s.slice(0, 45)}...` : s);

/**
 * Follows the pages of an API from the first (or from a checkpoint's token) to the one without a
 * next token. A token this run already used would read the same pages again and again: the run
 * stops with RepeatedCursorError before publishing the page that handed it back, so the
 * checkpoint stays at the page before it.
 */
async function* readPages(fetchPage: FetchPage, describe: string, from?: Position): AsyncGenerator<Chunk> {
  let page = (from?.done ?? 0) + 1;
  let token = from?.resume;
  // A checkpoint past a page without a next token: the last page was published already.
  if (page > 1 && token === undefined) return;
  const used = new Map<string, number>(token === undefined ? [] : [[token, page]]);
  for (;;) {
    const { items, next } = await fetchPage(token, page);
    const earlier = next === undefined ? undefined : used.get(next);
    if (earlier !== undefined) {
      throw new RepeatedCursorError(
        `page ${page} of ${describe} hands back the cursor '${shorten(next!)}' that page ${earlier} was read with; ` +
          `following it would read the same pages for ever, so the backfill stopped before publishing page ${page}; ` +
          `${checkpointKept} once the API is fixed (or --again to start over)`,
      );
    }
    const where = (i: number) => `page ${page}, item ${i + 1} of ${items.length}`;
    yield {
      items: items.map((value, i) => ({ kind: 'item', value, where: where(i) })),
      done: page,
      resume: next,
      last: next === undefined,
    };
    if (next === undefined) return;
    used.set(next, page + 1);
    token = next;
    page++;
  }
}

/** A source over any API whose pages lead to the next by a token (a cursor, or a page number as text). */
export function pagedSource(o: { describe: string; until?: Date; fetchPage: FetchPage }): Source {
  return {
    unit: 'page',
    describe: o.describe,
    ...(o.until ? { until: o.until } : {}),
    read: (from) => readPages(o.fetchPage, o.describe, from),
  };
}

/** A file's SHA-256 (what a file backfill is keyed by), its lines and its size, in one read. */
export async function fileFacts(path: string): Promise<{ sha256: string; lines: number; bytes: number }> {
  const hash = createHash('sha256');
  let newlines = 0;
  let bytes = 0;
  let lastByte = 10;
  for await (const buf of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(buf);
    bytes += buf.length;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) newlines++;
    lastByte = buf[buf.length - 1]!;
  }
  return { sha256: hash.digest('hex'), lines: newlines + (lastByte === 10 ? 0 : 1), bytes };
}

/** The lines of a file from byte `start`, each with the byte offset just past it (its newline included). */
async function* readLines(path: string, start: number): AsyncGenerator<{ text: string; end: number }> {
  let pending: Buffer[] = [];
  let end = start;
  for await (const buf of createReadStream(path, { start }) as AsyncIterable<Buffer>) {
    let from = 0;
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, from)) {
      const line = Buffer.concat([...pending, buf.subarray(from, nl)]);
      pending = [];
      end += line.length + 1;
      yield { text: line.toString('utf8'), end };
      from = nl + 1;
    }
    if (from < buf.length) pending.push(buf.subarray(from));
  }
  if (pending.length > 0) {
    const line = Buffer.concat(pending);
    yield { text: line.toString('utf8'), end: end + line.length };
  }
}

/** A line as an item; undefined for a blank line, which is skipped. */
export function lineItem(text: string, lineNumber: number, name: string): SourceItem | undefined {
  const line = (lineNumber === 1 ? text.replace(/^\uFEFF/, '') : text).replace(/\r$/, '');
  if (line.trim() === '') return undefined;
  const where = `line ${lineNumber} of ${name}`;
  try {
    return { kind: 'item', value: JSON.parse(line), raw: line.trim(), where };
  } catch (err) {
    return {
      kind: 'unreadable',
      reason: 'invalid_json',
      message: `not valid JSON: ${(err as Error).message}`,
      raw: line,
      where,
    };
  }
}

export interface LineLimits {
  /** Lines per chunk: the checkpoint moves on every this many lines. */
  lines: number;
  /** Bytes per chunk at most, so a file of large lines does not gather a chunk too big to hold. */
  bytes: number;
}

async function* readNdjson(path: string, limits: LineLimits, from?: Position): AsyncGenerator<Chunk> {
  const name = basename(path);
  let line = from?.done ?? 0;
  let items: SourceItem[] = [];
  let lines = 0;
  let bytes = 0;
  let end = Number(from?.resume ?? 0);
  for await (const next of readLines(path, end)) {
    line++;
    lines++;
    bytes += next.end - end;
    end = next.end;
    const item = lineItem(next.text, line, name);
    if (item) items.push(item);
    if (lines >= limits.lines || bytes >= limits.bytes) {
      yield { items, done: line, resume: String(end), last: false };
      [items, lines, bytes] = [[], 0, 0];
    }
  }
  if (lines > 0) yield { items, done: line, resume: String(end), last: true };
}

/** A source over the lines of an NDJSON file, one request object a line (blank lines skipped). */
export function ndjsonFileSource(
  path: string,
  facts: { sha256: string; lines: number },
  limits: LineLimits = { lines: 1000, bytes: 16 * 1024 * 1024 },
): Source {
  return {
    unit: 'line',
    describe: `file ${basename(path)} (SHA-256 ${facts.sha256.slice(0, 12)}…)`,
    total: facts.lines,
    read: (from) => readNdjson(path, limits, from),
  };
}
