// What every webhook route shares at its edges: the body taken as text within its size and time
// limits, and one answer (with its metrics) for each way a request can fail before a handler runs.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { IngressMetrics, Outcome } from '../metrics.js';

export type Answer = (reply: FastifyReply, outcome: Outcome, status: number, body: object) => FastifyReply;

/** Sends an answer and counts it, with its duration, under its outcome. */
export const answerer =
  (metrics: IngressMetrics): Answer =>
  (reply, outcome, status, body) => {
    metrics.requests.inc({ outcome });
    metrics.requestSeconds.observe({ outcome }, reply.elapsedTime / 1000);
    return reply.code(status).send(body);
  };

/** How long a client should wait before retrying after a 503. */
const retryAfterSeconds = 5;

/** 503 with Retry-After: neither Kafka nor the spool took the event, so nothing was stored. */
export function unavailable(answer: Answer, reply: FastifyReply, err: unknown): FastifyReply {
  reply.log.warn({ err }, 'Kafka did not acknowledge in time: 503');
  reply.header('retry-after', String(retryAfterSeconds));
  return answer(reply, 'unavailable', 503, {
    error: 'unavailable',
    message: `Kafka did not acknowledge the event in time and the spool could not take it; nothing was stored. Retry after ${retryAfterSeconds} s.`,
  });
}

/**
 * A body that trickles in (slow loris) would hold a connection and its buffer for as long as the
 * client likes; Node's own request timeout is checked too coarsely to rely on. Cut it off.
 */
export function cutOffSlowBodies(app: FastifyInstance, timeoutMs: number): void {
  const deadlines = new WeakMap<object, NodeJS.Timeout>();
  app.addHook('onRequest', async (request) => {
    const timer = setTimeout(() => {
      request.log.warn({ timeoutMs }, 'request not received in time: connection closed');
      request.raw.destroy();
    }, timeoutMs);
    timer.unref();
    deadlines.set(request.raw, timer);
  });
  const received = async (request: { raw: object }) => clearTimeout(deadlines.get(request.raw));
  app.addHook('preHandler', received);
  app.addHook('onResponse', received);
}

const jsonContentType = /^application\/([\w.-]+\+)?json\s*(;.*)?$/i;

/** Keeps JSON bodies as text: the envelope embeds a body unchanged, and classify() parses it once. */
export function acceptRawJson(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(jsonContentType, { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, body));
}

/** How much of an oversized body is read and dropped after the 413 before the connection is cut. */
const discardLimits = { bytes: 64 * 1024 * 1024, ms: 10_000 };

/**
 * After a 413 the client may still be sending its body. Fastify then closes the connection, and a
 * socket closed with unread data is reset, so a client that writes its whole body before reading
 * (as fetch and curl may) gets EPIPE instead of the 413. Keep the connection instead, and read and
 * drop the rest of the body, within `discardLimits`; past them the connection is cut.
 */
function discardRestOfBody(raw: IncomingMessage): void {
  let read = 0;
  const cut = () => raw.socket?.destroy();
  const timer = setTimeout(cut, discardLimits.ms).unref();
  raw.on('data', (chunk: Buffer) => {
    read += chunk.length;
    if (read > discardLimits.bytes) cut();
  });
  const done = () => clearTimeout(timer);
  raw.once('end', done);
  raw.once('close', done);
  raw.resume();
}

/** Answers what fails before a handler: 413, 415, 429, other 4xx, and 500 for anything else. */
export function answerErrors(
  app: FastifyInstance,
  opts: { answer: Answer; bodyLimit: number; rateLimitPerMinute: number },
): void {
  const { answer } = opts;
  app.setErrorHandler((err: { code?: string; statusCode?: number; message: string }, request, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      reply.removeHeader('connection');
      if (!request.raw.complete) discardRestOfBody(request.raw);
      return answer(reply, 'too_large', 413, {
        error: 'payload_too_large',
        message: `the body is over the limit of ${opts.bodyLimit} bytes`,
      });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return answer(reply, 'unsupported_media_type', 415, {
        error: 'unsupported_media_type',
        message: `content-type '${request.headers['content-type'] ?? ''}' is not accepted; send application/json`,
      });
    }
    if (err.statusCode === 429) {
      return answer(reply, 'rate_limited', 429, {
        error: 'rate_limited',
        message: `over ${opts.rateLimitPerMinute} requests a minute from this address; retry after the retry-after header's seconds`,
      });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return answer(reply, 'bad_request', err.statusCode, { error: 'bad_request', message: err.message });
    }
    request.log.error({ err }, 'unexpected error');
    return answer(reply, 'error', 500, { error: 'internal_error' });
  });
}
