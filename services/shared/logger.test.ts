import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes JSON lines labelled with the service, level and ISO time', () => {
    const { lines, stream } = capture();
    createLogger('ingress', { LOG_LEVEL: 'info' }, stream).info({ eventId: 'abc' }, 'accepted');
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ service: 'ingress', level: 'info', eventId: 'abc', msg: 'accepted' });
    expect(new Date(line.time).toISOString()).toBe(line.time);
  });

  it('redacts the authorization header and configured tokens wherever they are logged', () => {
    const { lines, stream } = capture();
    const log = createLogger('ingress', { LOG_LEVEL: 'info' }, stream);
    log.info({ req: { headers: { authorization: 'Bearer s3cret' } } }, 'request');
    log.info({ headers: { authorization: 'Bearer s3cret' } }, 'request');
    log.info({ config: { INGRESS_AUTH_TOKENS: ['Bearer s3cret'] } }, 'config');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toContain('s3cret');
    expect(lines.join('')).toContain('[redacted]');
  });

  it('drops lines below the configured level', () => {
    const { lines, stream } = capture();
    createLogger('x', { LOG_LEVEL: 'warn' }, stream).info('quiet');
    expect(lines).toHaveLength(0);
  });
});
