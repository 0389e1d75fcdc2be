// POST /webhooks/thena: authorise, classify, publish, and answer only after the broker
// acknowledged (202), or after the rejected body is on the dead-letter topic (400).
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { LRUCache } from 'lru-cache';
import { topics } from '../../../schemas/topics.js';
import { tokenMatcher } from '../auth.js';
import { eventEnvelope } from '../envelope.js';
import { deadLetterMessage } from '../../shared/dead-letter.js';
import type { IngressMetrics, Outcome } from '../metrics.js';
import { classify } from '../webhook.js';
import type { Delivered } from '../delivery.js';

export interface WebhookRouteOptions {
  authTokens: readonly string[];
  /** Requests per client address per minute; 0 for no limit. */
  rateLimitPerMinute: number;
  /** Time allowed to receive a whole request; a body still trickling in after it is cut off. */
  requestTimeoutMs: number;
  bodyLimit: number;
  metrics: IngressMetrics;
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

/** How long a client should wait before retrying after a 503. */
const retryAfterSeconds = 5;
const jsonContentType = /^application\/([\w.-]+\+)?json\s*(;.*)?$/i;

export default async function webhookRoutes(app: FastifyInstance, opts: WebhookRouteOptions): Promise<void> {
  const authorised = tokenMatcher(opts.authTokens);
  const { metrics } = opts;
  // Recently accepted ids, only to count deliveries that look like duplicates.
  const recent = new LRUCache<string, true>({ max: 100_000 });

  if (opts.rateLimitPerMinute > 0) {
    // Per client address, in memory: one instance's view, which is what protects it.
    await app.register(rateLimit, { max: opts.rateLimitPerMinute, timeWindow: 60_000 });
  }

  // A body that trickles in (slow loris) would hold a connection and its buffer for as long as
  // the client likes; Node's own request timeout is checked too coarsely to rely on. Cut it off.
  const bodyDeadlines = new WeakMap<object, NodeJS.Timeout>();
  app.addHook('onRequest', async (request) => {
    const timer = setTimeout(() => {
      request.log.warn({ timeoutMs: opts.requestTimeoutMs }, 'request not received in time: connection closed');
      request.raw.destroy();
    }, opts.requestTimeoutMs);
    timer.unref();
    bodyDeadlines.set(request.raw, timer);
  });
  const received = async (request: { raw: object }) => clearTimeout(bodyDeadlines.get(request.raw));
  app.addHook('preHandler', received);
  app.addHook('onResponse', received);

  // Keep the body as text: the envelope embeds it unchanged, and classify() parses it once.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(jsonContentType, { parseAs: 'string', bodyLimit: opts.bodyLimit }, (_req, body, done) =>
    done(null, body),
  );

  const answer = (reply: FastifyReply, outcome: Outcome, status: number, body: object) => {
    metrics.requests.inc({ outcome });
    metrics.requestSeconds.observe({ outcome }, reply.elapsedTime / 1000);
    return reply.code(status).send(body);
  };
  const unavailable = (reply: FastifyReply, err: unknown) => {
    reply.log.warn({ err }, 'Kafka did not acknowledge in time: 503');
    reply.header('retry-after', String(retryAfterSeconds));
    return answer(reply, 'unavailable', 503, {
      error: 'unavailable',
      message: `Kafka did not acknowledge the event in time and the spool could not take it; nothing was stored. Retry after ${retryAfterSeconds} s.`,
    });
  };

  app.post<{ Body: string }>(
    '/webhooks/thena',
    {
      onRequest: async (request, reply) => {
        if (!authorised(request.headers.authorization)) {
          request.log.info('unauthorized webhook');
          return answer(reply, 'unauthorized', 401, { error: 'unauthorized' });
        }
      },
    },
    async (request, reply) => {
      const receivedAt = new Date();
      const result = classify(request.body ?? '');

      if (result.kind === 'rejected') {
        const record = deadLetterMessage({
          topic: topics.deadLetter.name,
          source: 'ingress',
          reason: result.reason,
          details: result.details,
          rawBody: result.raw,
          receivedAt,
        });
        try {
          await app.delivery.deliver(record);
        } catch (err) {
          return unavailable(reply, err);
        }
        metrics.rejected.inc({ reason: result.reason });
        request.log.info({ reason: result.reason, details: result.details }, 'webhook rejected');
        return answer(reply, 'rejected', 400, { error: 'invalid_payload', details: result.details });
      }

      const ids = { eventId: result.eventId, requestId: result.requestId };
      let delivered: Delivered;
      try {
        delivered = await app.delivery.deliver({
          topic: topics.requestEvents.name,
          key: result.requestId,
          value: eventEnvelope(result, receivedAt),
        });
      } catch (err) {
        return unavailable(reply, err);
      }
      for (const p of result.fieldProblems) metrics.fieldProblems.inc({ field: p.path.split('/')[2] ?? 'other' });
      if (result.fieldProblems.length > 0) {
        request.log.warn({ ...ids, fieldProblems: result.fieldProblems }, 'fields of the wrong type kept as sent');
      }
      const duplicate = recent.has(result.eventId);
      recent.set(result.eventId, true);
      request.log.info({ ...ids, action: result.action, duplicate, delivered }, 'webhook accepted');
      const outcome = delivered === 'spooled' ? 'spooled' : duplicate ? 'duplicate' : 'accepted';
      return answer(reply, outcome, 202, { status: 'accepted', eventId: result.eventId });
    },
  );

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
