// POST /webhooks/thena: authorise, classify, publish, and answer only after the broker
// acknowledged (202), or after the rejected body is on the dead-letter topic (400).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { LRUCache } from 'lru-cache';
import { topics } from '../../../schemas/topics.js';
import { tokenMatcher } from '../auth.js';
import { defaultWorkspace } from '../../../schemas/workspace.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The workspace named by the token that authenticated the request. */
    workspace: string;
  }
}
import { eventEnvelope } from '../envelope.js';
import { deadLetterMessage } from '../../shared/dead-letter.js';
import type { IngressMetrics } from '../metrics.js';
import { classify, type Accepted, type Rejected } from '../webhook.js';
import type { Delivered } from '../delivery.js';
import { acceptRawJson, answerErrors, answerer, cutOffSlowBodies, unavailable, type Answer } from './edges.js';

export interface WebhookRouteOptions {
  authTokens: readonly string[];
  /** Requests per client address per minute; 0 for no limit. */
  rateLimitPerMinute: number;
  /** Time allowed to receive a whole request; a body still trickling in after it is cut off. */
  requestTimeoutMs: number;
  bodyLimit: number;
  metrics: IngressMetrics;
}

export default async function webhookRoutes(app: FastifyInstance, opts: WebhookRouteOptions): Promise<void> {
  const workspaceOf = tokenMatcher(opts.authTokens);
  const answer = answerer(opts.metrics);
  // Recently accepted ids, only to count deliveries that look like duplicates.
  const recent = new LRUCache<string, true>({ max: 100_000 });
  app.decorateRequest('workspace', defaultWorkspace);

  if (opts.rateLimitPerMinute > 0) {
    // Per client address, in memory: one instance's view, which is what protects it.
    await app.register(rateLimit, { max: opts.rateLimitPerMinute, timeWindow: 60_000 });
  }
  cutOffSlowBodies(app, opts.requestTimeoutMs);
  acceptRawJson(app, opts.bodyLimit);
  answerErrors(app, { answer, bodyLimit: opts.bodyLimit, rateLimitPerMinute: opts.rateLimitPerMinute });

  app.post<{ Body: string }>(
    '/webhooks/thena',
    {
      onRequest: async (request, reply) => {
        const workspace = workspaceOf(request.headers.authorization);
        if (workspace === undefined) {
          request.log.info('unauthorized webhook');
          return answer(reply, 'unauthorized', 401, { error: 'unauthorized' });
        }
        request.workspace = workspace;
      },
    },
    async (request, reply) => {
      const receivedAt = new Date();
      const result = classify(request.body ?? '');
      const handle = { app, request, reply, answer, metrics: opts.metrics, receivedAt, workspace: request.workspace };
      return result.kind === 'rejected' ? reject(handle, result) : accept(handle, result, recent);
    },
  );
}

interface Handling {
  app: FastifyInstance;
  request: FastifyRequest;
  reply: FastifyReply;
  answer: Answer;
  metrics: IngressMetrics;
  receivedAt: Date;
  workspace: string;
}

/** 400, once the body, the reasons and the time are on the dead-letter topic (503 if they cannot be). */
async function reject(h: Handling, result: Rejected): Promise<FastifyReply> {
  const record = deadLetterMessage({
    topic: topics.deadLetter.name,
    source: 'ingress',
    reason: result.reason,
    details: result.details,
    rawBody: result.raw,
    receivedAt: h.receivedAt,
    workspace: h.workspace,
  });
  try {
    await h.app.delivery.deliver(record);
  } catch (err) {
    return unavailable(h.answer, h.reply, err);
  }
  h.metrics.rejected.inc({ reason: result.reason });
  h.request.log.info({ reason: result.reason, details: result.details }, 'webhook rejected');
  return h.answer(h.reply, 'rejected', 400, { error: 'invalid_payload', details: result.details });
}

/** 202 with the eventId, once Kafka (or the spool) has the event (503 if neither can take it). */
async function accept(h: Handling, result: Accepted, recent: LRUCache<string, true>): Promise<FastifyReply> {
  const ids = { eventId: result.eventId, requestId: result.requestId, workspace: h.workspace };
  let delivered: Delivered;
  try {
    delivered = await h.app.delivery.deliver({
      topic: topics.requestEvents.name,
      key: result.requestId,
      value: eventEnvelope(result, h.receivedAt, h.workspace),
    });
  } catch (err) {
    return unavailable(h.answer, h.reply, err);
  }
  for (const p of result.fieldProblems) h.metrics.fieldProblems.inc({ field: p.path.split('/')[2] ?? 'other' });
  if (result.fieldProblems.length > 0) {
    h.request.log.warn({ ...ids, fieldProblems: result.fieldProblems }, 'fields of the wrong type kept as sent');
  }
  const seen = `${h.workspace}/${result.eventId}`;
  const duplicate = recent.has(seen);
  recent.set(seen, true);
  h.request.log.info({ ...ids, action: result.action, duplicate, delivered }, 'webhook accepted');
  const outcome = delivered === 'spooled' ? 'spooled' : duplicate ? 'duplicate' : 'accepted';
  return h.answer(h.reply, outcome, 202, { status: 'accepted', eventId: result.eventId });
}
