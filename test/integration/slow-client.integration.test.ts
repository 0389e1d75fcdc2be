// A client that sends its body a byte at a time (slow loris) is cut off at the request timeout,
// while a normal client is served meanwhile.
import { connect } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startIngress, testToken, type RunningIngress } from '../support/ingress.js';
import { seedBody } from '../fixtures/webhooks.js';

let ingress: RunningIngress | undefined;
afterAll(async () => {
  await ingress?.close();
});

describe('slow clients', () => {
  it('cuts off a request whose body trickles in, and keeps serving others', async () => {
    ingress = await startIngress(inject('kafkaBrokers'), { INGRESS_REQUEST_TIMEOUT_MS: '1500' });
    const { port } = new URL(ingress.url);
    const socket = connect(Number(port), '127.0.0.1');
    const started = Date.now();
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      `POST /webhooks/thena HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
        `authorization: ${testToken}\r\ncontent-length: ${Buffer.byteLength(seedBody)}\r\n\r\n`,
    );
    // One byte every 200 ms: the whole body would take minutes.
    const trickle = setInterval(() => socket.writable && socket.write(seedBody[0]!), 200);
    try {
      // Meanwhile an ordinary webhook is answered.
      expect((await ingress.post(seedBody)).status).toBe(202);
      await closed;
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(10_000);
    // Node answers 408 when it can; either way the connection is gone and nothing was accepted.
    expect(answer).not.toContain('202');
  });
});
