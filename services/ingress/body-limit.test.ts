// A body over the limit, from a client that writes all of it before reading the answer (as fetch
// and curl may): the 413 must reach it, over a real socket. Closing a connection with unread data
// resets it, and the client would see EPIPE instead.
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createLogger } from '../shared/logger.js';
import { createRegistry } from '../shared/metrics.js';
import { parseConfig } from '../shared/config.js';
import { MemoryTransport } from '../../test/support/memory-transport.js';
import { seedBody } from '../../test/fixtures/webhooks.js';

let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  app = await buildApp({
    config: parseConfig({ INGRESS_SPOOL_MAX_BYTES: '0', INGRESS_BODY_LIMIT_BYTES: String(1024 * 1024) }),
    logger: createLogger('ingress', { LOG_LEVEL: 'silent' }),
    registry: createRegistry('ingress'),
    transport: new MemoryTransport(),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(() => app.close());

const request = (body: string, framing: 'length' | 'chunked') =>
  `POST /webhooks/thena HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n` +
  (framing === 'length'
    ? `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    : `transfer-encoding: chunked\r\n\r\n${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`);

/**
 * Writes each request whole, then reads: the status line of every answer that arrived, or the
 * socket error that ended the exchange.
 */
function exchange(requests: string[]): Promise<string[]> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const statusLines = () => [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]!);
    socket.pause();
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      if (statusLines().length === requests.length) {
        resolve(statusLines());
        socket.destroy();
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve([...statusLines(), err.code ?? err.message]));
    socket.on('close', () => resolve(statusLines()));
    const data = Buffer.from(requests.join(''));
    let offset = 0;
    const pump = () => {
      while (offset < data.length) {
        const ok = socket.write(data.subarray(offset, offset + 65536));
        offset += 65536;
        if (!ok) return void socket.once('drain', pump);
      }
      socket.resume();
    };
    pump();
  });
}

const oversized = `{"action":"A","request":{"requestId":1,"x":"${'x'.repeat(8 * 1024 * 1024)}"}}`;

describe('a body over the limit', () => {
  it.each(['length', 'chunked'] as const)(
    'is answered 413 to a client that sends it whole before reading (%s framing), and the connection serves the next request',
    async (framing) => {
      expect(await exchange([request(oversized, framing), request(seedBody, 'length')])).toEqual(['413', '202']);
    },
  );

  it('cuts the connection when the client goes on sending far past the limit', async () => {
    const huge = `{"x":"${'x'.repeat(80 * 1024 * 1024)}"}`;
    const answers = await exchange([request(huge, 'length')]);
    expect(answers.at(-1)).toMatch(/^(EPIPE|ECONNRESET)$/);
  });
});
