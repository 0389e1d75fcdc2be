// POST /webhooks/thena (request webhooks) and POST /webhooks/thena/platform (platform events):
// authorise, classify, publish, and answer only after the broker acknowledged (202), or after the
// rejected body is on the dead-letter topic (400). Both share the answers, the spool and the
// dead-letter path; they differ in the classifier, the topic, the key and the envelope. A platform
// event names its workspace (orgId), which must be a workspace name (400) and which a token bound
// to another workspace may not write (403).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { LRUCache } from 'lru-cache';
import { topics } from '../../../schemas/topics.js';
import { defaultWorkspace } from '../../../schemas/workspace.js';
import { platformWorkspace, tokenMatcher } from '../auth.js';
import { eventMessage } from '../envelope.js';
import { classifyPlatform } from '../platform.js';
import { platformEnvelope } from '../platform-envelope.js';
import { deadLetterMessage } from '../../shared/dead-letter.js';
import type { IngressMetrics } from '../metrics.js';
import { classify, type Accepted, type Problem, type Rejected } from '../webhook.js';
import type { Delivered } from '../delivery.js';
import { acceptRawJson, answerErrors, answerer, cutOffSlowBodies, unavailable, type Answer } from './edges.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The workspace named by the token that authenticated the request. */
    workspace: string;
  }
}

export interface WebhookRouteOptions {
  authTokens: readonly string[];
  /** Requests per client address per minute; 0 for no limit. */
  rateLimitPerMinute: number;
  /** Time allowed to receive a whole request; a body still trickling in after it is cut off. */
  requestTimeoutMs: number;
  bodyLimit: number;
  metrics: IngressMetrics;
}

/** An accepted body, ready to publish: where, under which key, and what to log. */
interface Publication {
  eventId: string;
  key: string;
  topic: string;
  value: string;
  headers?: Record<string, string>;
  workspace: string;
  log: Record<string, unknown>;
  fieldProblems: Problem[];
}

export default async function webhookRoutes(app: FastifyInstance, opts: WebhookRouteOptions): Promise<void> {
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

  const onRequest = authorise(tokenMatcher(opts.authTokens), answer);
  const handling = (request: FastifyRequest<{ Body: string }>, reply: FastifyReply): Handling => ({
    ...{ app, request, reply, answer, metrics: opts.metrics, recent },
    ...{ receivedAt: new Date(), workspace: request.workspace },
  });

  app.post<{ Body: string }>('/webhooks/thena', { onRequest }, async (request, reply) => {
    const h = handling(request, reply);
    const result = classify(request.body ?? '');
    return result.kind === 'rejected' ? reject(h, result) : accept(h, requestEvent(result, h));
  });

  app.post<{ Body: string }>('/webhooks/thena/platform', { onRequest }, async (request, reply) => {
    const h = handling(request, reply);
    const result = classifyPlatform(request.body ?? '');
    if (result.kind === 'rejected') return reject(h, result);
    const decided = platformWorkspace(h.workspace, result.orgId);
    if (decided.kind === 'forbidden') return forbid(h, decided.message, { eventId: result.eventId });
    const { workspace } = decided;
    return accept(h, {
      eventId: result.eventId,
      key: result.entityId,
      topic: topics.platformEvents.name,
      workspace,
      value: platformEnvelope(result, h.receivedAt, workspace),
      log: { eventType: result.eventType, entityId: result.entityId },
      fieldProblems: [],
    });
  });
}

/** 401 unless the authorization header is a configured token; notes the token's workspace. */
const authorise =
  (workspaceOf: (header: string | undefined) => string | undefined, answer: Answer) =>
  async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const workspace = workspaceOf(request.headers.authorization);
    if (workspace === undefined) {
      request.log.info('unauthorized webhook');
      return answer(reply, 'unauthorized', 401, { error: 'unauthorized' });
    }
    request.workspace = workspace;
    return undefined;
  };

function requestEvent(result: Accepted, h: Handling): Publication {
  const { value, headers } = eventMessage(result, h.receivedAt, h.workspace);
  return {
    eventId: result.eventId,
    key: result.requestId,
    topic: topics.requestEvents.name,
    workspace: h.workspace,
    value,
    headers,
    log: { requestId: result.requestId, action: result.action },
    fieldProblems: result.fieldProblems,
  };
}

interface Handling {
  app: FastifyInstance;
  request: FastifyRequest;
  reply: FastifyReply;
  answer: Answer;
  metrics: IngressMetrics;
  recent: LRUCache<string, true>;
  receivedAt: Date;
  workspace: string;
}

/** 403: the token may not write where the event says; nothing is stored, not even on the dead-letter topic. */
function forbid(h: Handling, message: string, log: Record<string, unknown>): FastifyReply {
  h.request.log.warn({ ...log, workspace: h.workspace, message }, 'webhook forbidden');
  return h.answer(h.reply, 'forbidden', 403, { error: 'forbidden', message });
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
async function accept(h: Handling, p: Publication): Promise<FastifyReply> {
  const ids = { eventId: p.eventId, workspace: p.workspace, ...p.log };
  let delivered: Delivered;
  try {
    delivered = await h.app.delivery.deliver({ topic: p.topic, key: p.key, value: p.value, headers: p.headers });
  } catch (err) {
    return unavailable(h.answer, h.reply, err);
  }
  for (const f of p.fieldProblems) h.metrics.fieldProblems.inc({ field: f.path.split('/')[2] ?? 'other' });
  if (p.fieldProblems.length > 0) {
    h.request.log.warn({ ...ids, fieldProblems: p.fieldProblems }, 'fields of the wrong type kept as sent');
  }
  const seen = `${p.topic}/${p.workspace}/${p.eventId}`;
  const duplicate = h.recent.has(seen);
  h.recent.set(seen, true);
  // Not { ...ids, duplicate, delivered }: a spread then new keys costs microseconds (eventRow's note).
  h.request.log.info(Object.assign(ids, { duplicate, delivered }), 'webhook accepted');
  const outcome = delivered === 'spooled' ? 'spooled' : duplicate ? 'duplicate' : 'accepted';
  return h.answer(h.reply, outcome, 202, { status: 'accepted', eventId: p.eventId });
}
