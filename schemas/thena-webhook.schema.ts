// Thena's request webhook, written from Thena's own description and its sample payload
// (shared/seed). The single description of the payload: the ingress compiles it with ajv, the
// TypeScript type is derived from it, and the docs point here.
//
// Only what keys an event is enforced: `action`, `request` and `request.requestId`
// (see keyingPaths). Every other field is described with its documented type, may be null, and a
// mismatch there is recorded, never a reason to reject. Unknown fields are allowed and kept.
import type { FromSchema } from 'json-schema-to-ts';

const text = { type: ['string', 'null'] } as const;
const slackTs = {
  type: ['string', 'null'],
  pattern: '^[0-9]+(\\.[0-9]+)?$',
  description: 'Slack timestamp: seconds since the epoch with microseconds, as a string.',
} as const;
const isoTime = { type: ['string', 'null'], format: 'date-time' } as const;
const person = {
  type: ['object', 'null'],
  properties: {
    id: text,
    name: text,
    email: text,
    emailDomain: text,
    firstName: text,
    lastName: text,
  },
} as const;

export const webhookSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'thena-lake/thena-request-webhook',
  title: 'Thena request webhook',
  type: 'object',
  required: ['action', 'request'],
  properties: {
    action: {
      type: 'string',
      minLength: 1,
      description: 'CREATE or UPDATE as documented; other values (escalation) are accepted and kept.',
    },
    request: {
      type: 'object',
      required: ['requestId'],
      properties: {
        requestId: {
          description:
            'Documented as a Number; sent as a decimal string by the sample. Both are accepted; a number past 2^53 - 1 is not, since JSON parsers round it (send such ids as strings).',
          oneOf: [
            { type: 'integer', minimum: 0, maximum: 9007199254740991 },
            { type: 'string', pattern: '^[0-9]{1,30}$' },
          ],
        },
        AI_generatedTags: { type: ['array', 'null'], items: { type: 'string' } },
        AI_requestSentiment: text,
        AI_requestSummary: text,
        AI_requestTitle: text,
        AI_requestUrgency: text,
        activity: {
          type: ['array', 'null'],
          items: {
            type: 'object',
            properties: {
              id: text,
              text: { ...text, description: 'HTML.' },
              ts: slackTs,
              user: person,
            },
          },
        },
        assignedBy: person,
        assignedTo: person,
        channelId: text,
        channelName: text,
        closed_by: person,
        closed_on: isoTime,
        configuredFieldValues: { type: ['object', 'null'] },
        createdAt: isoTime,
        customer_name: text,
        description: { ...text, description: 'HTML.' },
        feedbacks: {
          ...text,
          description: 'HTML: one <p> per CSAT entry, "<rater> gave <n> with additional feedback of <comment>".',
        },
        internalAlert: {
          type: ['object', 'null'],
          properties: { channel: text, permalink: text, ts: slackTs },
        },
        isInternalHelpdesk: { type: ['boolean', 'null'] },
        isPrivateChannel: { type: ['boolean', 'null'] },
        permalink: text,
        replyCount: { type: ['integer', 'null'], minimum: 0 },
        requestLink: text,
        requestTs: slackTs,
        requestor: person,
        sender: person,
        status: text,
        team_id: text,
        team_name: text,
        threadTs: slackTs,
        updatedAt: isoTime,
      },
    },
  },
} as const;

/** A webhook body as documented. Received bodies may differ outside the keying fields. */
export type ThenaWebhook = FromSchema<typeof webhookSchema>;

/** Paths whose problems make an event impossible to key, hence a 400. */
export const keyingPaths: ReadonlySet<string> = new Set(['/action', '/request', '/request/requestId']);

/**
 * Fields every body is expected to have (payload drift's `missing`, tables/drift/): what Thena's
 * sample sends and the tables are built from. Everything else in the description is optional.
 * Paths as tables/drift/observe.ts writes them; a field under an array is expected in each item.
 */
export const requestExpectedFields: readonly string[] = [
  'action',
  'request.requestId',
  'request.status',
  'request.createdAt',
  'request.updatedAt',
  'request.team_id',
  'request.requestor',
  'request.activity[].ts',
  'request.activity[].user',
];
