// A durable write-ahead spool for events Kafka could not take in time. Records are appended to
// segment files under the spool folder, each framed as [length u32][crc32 u32][JSON], and fsynced
// before append() resolves (appends arriving together share one fsync). A drainer reads them
// back in order and moves a per-segment cursor (also fsynced) past what the broker acknowledged;
// a segment read to its end is deleted. At open, a record whose frame or checksum does not hold
// (a write torn by a crash) ends its segment: the tail is cut off and counted, never fatal.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { OutgoingMessage } from './publisher.js';

export class SpoolFullError extends Error {
  override name = 'SpoolFullError';
}

interface Segment {
  seq: number;
  path: string;
  size: number;
  /** Bytes already drained (acknowledged by Kafka). */
  cursor: number;
}

const segmentName = (seq: number) => `segment-${String(seq).padStart(12, '0')}.log`;
const cursorPath = (s: Segment) => `${s.path}.cursor`;
const headerBytes = 8;
const peekWindowBytes = 4 * 1024 * 1024;

function readRange(path: string, from: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const read = readSync(fd, buf, 0, length, from);
    return buf.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** Records of `buf` from `from`; stops at the first torn or corrupt frame, returning where. */
function scanRecords(
  buf: Buffer,
  from: number,
): { records: { end: number; value: OutgoingMessage }[]; validEnd: number } {
  const records: { end: number; value: OutgoingMessage }[] = [];
  let pos = from;
  while (pos + headerBytes <= buf.length) {
    const length = buf.readUInt32BE(pos);
    const checksum = buf.readUInt32BE(pos + 4);
    const end = pos + headerBytes + length;
    if (end > buf.length) break;
    const payload = buf.subarray(pos + headerBytes, end);
    if (crc32(payload) !== checksum) break;
    records.push({ end, value: JSON.parse(payload.toString('utf8')) as OutgoingMessage });
    pos = end;
  }
  return { records, validEnd: pos };
}

export class Spool {
  private segments: Segment[] = [];
  private fd: number | undefined;
  private pending: { frame: Buffer; resolve: () => void; reject: (e: Error) => void }[] = [];
  private flushing = false;
  private pendingBytes = 0;
  /** Records lost to a torn write found at open. */
  readonly tornRecords: number;
  private records = 0;
  private oldestAt: number | undefined;

  private constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly segmentBytes: number,
    torn: number,
  ) {
    this.tornRecords = torn;
  }

  /** Opens (or creates) the spool in `dir`, checking every segment and cutting off a torn tail. */
  static open(dir: string, maxBytes: number, segmentBytes = 64 * 1024 * 1024): Spool {
    mkdirSync(dir, { recursive: true });
    const spool = new Spool(dir, maxBytes, segmentBytes, 0);
    let torn = 0;
    for (const name of readdirSync(dir)
      .filter((n) => /^segment-\d{12}\.log$/.test(n))
      .sort()) {
      const path = join(dir, name);
      const segment: Segment = { seq: Number(name.slice(8, 20)), path, size: statSync(path).size, cursor: 0 };
      try {
        segment.cursor = Number(readFileSync(cursorPath(segment), 'utf8')) || 0;
      } catch {
        segment.cursor = 0;
      }
      const buf = readFileSync(path);
      const { records, validEnd } = scanRecords(buf, 0);
      if (validEnd < buf.length) {
        torn++;
        truncateSync(path, validEnd);
        segment.size = validEnd;
      }
      spool.records += records.filter((r) => r.end > segment.cursor).length;
      spool.segments.push(segment);
    }
    (spool as { tornRecords: number }).tornRecords = torn;
    if (spool.records > 0) spool.oldestAt = Date.now();
    return spool;
  }

  /** Records waiting to be drained. */
  get depth(): number {
    return this.records;
  }

  /** Bytes on disk not yet drained. */
  get bytes(): number {
    return this.segments.reduce((n, s) => n + s.size - s.cursor, 0);
  }

  /** Seconds since the oldest waiting record was spooled (0 when empty). */
  get ageSeconds(): number {
    return this.oldestAt === undefined ? 0 : (Date.now() - this.oldestAt) / 1000;
  }

  /** Appends a message durably; rejects with SpoolFullError past the size bound. */
  append(message: OutgoingMessage): Promise<void> {
    const payload = Buffer.from(JSON.stringify(message));
    const frame = Buffer.alloc(headerBytes + payload.length);
    frame.writeUInt32BE(payload.length, 0);
    frame.writeUInt32BE(crc32(payload), 4);
    payload.copy(frame, headerBytes);
    if (this.bytes + this.pendingBytes + frame.length > this.maxBytes) {
      return Promise.reject(new SpoolFullError(`the spool holds ${this.bytes} bytes, its bound is ${this.maxBytes}`));
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ frame, resolve, reject });
      this.pendingBytes += frame.length;
      if (!this.flushing) setImmediate(() => this.flush());
      this.flushing = true;
    });
  }

  /** Writes every pending frame, then one fsync for all of them. */
  private flush(): void {
    const batch = this.pending.splice(0);
    this.pendingBytes = 0;
    try {
      let active = this.segments.at(-1);
      if (!active || this.fd === undefined || active.size >= this.segmentBytes) {
        if (this.fd !== undefined) closeSync(this.fd);
        const seq = (active?.seq ?? 0) + 1;
        active = { seq, path: join(this.dir, segmentName(seq)), size: 0, cursor: 0 };
        this.segments.push(active);
        this.fd = openSync(active.path, 'a');
      }
      for (const p of batch) {
        writeSync(this.fd, p.frame);
        active.size += p.frame.length;
      }
      fsyncSync(this.fd);
      this.records += batch.length;
      this.oldestAt ??= Date.now();
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    } finally {
      this.flushing = this.pending.length > 0;
      if (this.flushing) setImmediate(() => this.flush());
    }
  }

  /**
   * The oldest waiting records (at most `max`), and a function to call once Kafka acknowledged
   * them: it moves the cursor past them (durably) and deletes a segment read to its end.
   */
  peek(max: number): { messages: OutgoingMessage[]; acknowledge: () => void } | undefined {
    const segment = this.segments.find((s) => s.cursor < s.size);
    if (!segment) return undefined;
    // Read from the cursor on, a window at a time, not the whole segment on every call: a drain
    // of a full segment would otherwise read it once per batch.
    const remaining = segment.size - segment.cursor;
    let taken: { end: number; value: OutgoingMessage }[] = [];
    for (let window = Math.min(remaining, peekWindowBytes); ; window = Math.min(remaining, window * 2)) {
      const buf = readRange(segment.path, segment.cursor, window);
      taken = scanRecords(buf, 0)
        .records.slice(0, max)
        .map((r) => ({ end: segment.cursor + r.end, value: r.value }));
      if (taken.length > 0 || window === remaining) break;
    }
    if (taken.length === 0) return undefined;
    return {
      messages: taken.map((r) => r.value),
      acknowledge: () => {
        segment.cursor = taken.at(-1)!.end;
        this.records -= taken.length;
        const finished = segment.cursor >= segment.size && segment !== this.segments.at(-1);
        const activeDone =
          segment.cursor >= segment.size &&
          segment === this.segments.at(-1) &&
          this.pending.length === 0 &&
          !this.flushing;
        if (finished || activeDone) {
          if (activeDone && this.fd !== undefined) {
            closeSync(this.fd);
            this.fd = undefined;
          }
          rmSync(segment.path, { force: true });
          rmSync(cursorPath(segment), { force: true });
          this.segments.splice(this.segments.indexOf(segment), 1);
        } else {
          writeFileSync(cursorPath(segment), String(segment.cursor), { flush: true });
        }
        if (this.records === 0) this.oldestAt = undefined;
      },
    };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
