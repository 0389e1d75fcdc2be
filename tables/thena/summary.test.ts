// The summary header (schemas/request-event.schema.ts) against the value it summarises: every
// request table's flattener gives the same answer from a message with the header as from its value
// alone, over Thena's sample, hand-picked variations and generated bodies; and the tables that
// declare the fields they read do read the header.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SourceMessage } from '../../schemas/flattener.js';
import {
  requestSummaryFields,
  requestSummaryHeader,
  requestSummaryMaxChars,
} from '../../schemas/request-event.schema.js';
import { topics } from '../../schemas/topics.js';
import { classify } from '../../services/ingress/webhook.js';
import { eventMessage } from '../../services/ingress/envelope.js';
import { webhook } from '../../test/fixtures/webhooks.js';
import { catalogue, requestAssignments, requestCsat } from '../catalogue.js';

const requestTables = catalogue.filter((t) => t.consumer.topic === topics.requestEvents.name);
const receivedAt = new Date('2026-12-03T10:00:00.123Z');

function messageOf(body: unknown, workspace?: string) {
  const accepted = classify(JSON.stringify(body));
  if (accepted.kind !== 'accepted') throw new Error(`fixture rejected: ${accepted.reason}`);
  return eventMessage(accepted, receivedAt, workspace);
}

const source = (value: string, headers?: Record<string, string>): SourceMessage => ({
  topic: topics.requestEvents.name,
  partition: 0,
  offset: '7',
  value,
  header: (name) => headers?.[name],
});

/** Each request table's answer from the message with its headers equals its answer from the value alone. */
function expectSameAnswers(m: { value: string; headers?: Record<string, string> }) {
  for (const t of requestTables) {
    expect(t.consumer.flatten(source(m.value, m.headers)), t.name).toEqual(t.consumer.flatten(source(m.value)));
  }
}

const variations: Record<string, unknown>[] = [
  {},
  { feedbacks: undefined, assignedTo: undefined, assignedBy: undefined, status: undefined },
  { feedbacks: '<p>ana gave 4 with additional feedback of quick</p><p>bo gave 2</p>' },
  { feedbacks: 17, assignedTo: 'someone', assignedBy: null, status: 42 },
  { assignedTo: { name: 'only a name' }, assignedBy: { id: 'U1', name: 'Lead' }, status: 'ASSIGNED' },
  { updatedAt: undefined, status: undefined },
  { updatedAt: undefined, createdAt: undefined },
  { updatedAt: 'not a time', createdAt: '2026-11-30T08:00:00Z' },
  { unknownField: { feedbacks: 'nested, not the request' }, requestId: '0042' },
];

const label = (v: Record<string, unknown>) =>
  Object.entries(v)
    .map(([k, x]) => `${k}=${JSON.stringify(x) ?? 'absent'}`)
    .join(', ') || 'the sample';

describe('the summary header', () => {
  it.each(variations.map((v) => [label(v), v]))(
    'gives every request table the answer the value gives: %s',
    (_name, v) => {
      expectSameAnswers(messageOf(webhook(v)));
      expectSameAnswers(messageOf(webhook(v), 'acme'));
    },
  );

  it('gives the same answers for generated requests', () => {
    const anyValue = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.dictionary(
        fc.constantFrom('id', 'name', 'email', 'x'),
        fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      ),
      fc.array(fc.string(), { maxLength: 3 }),
    );
    const csatText = fc
      .array(fc.tuple(fc.constantFrom('ana', 'Bo Li', '😀', ''), fc.integer({ min: -1, max: 12 }), fc.string()), {
        maxLength: 3,
      })
      .map((entries) =>
        entries.map(([who, n, c]) => `<p>${who} gave ${n} with additional feedback of ${c}</p>`).join(''),
      );
    const time = fc.oneof(
      fc.constant(undefined),
      fc.string(),
      fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
    );
    const request = fc.record({
      createdAt: time,
      updatedAt: time,
      status: anyValue,
      assignedTo: anyValue,
      assignedBy: anyValue,
      feedbacks: fc.oneof(anyValue, csatText),
      other: anyValue,
    });
    fc.assert(
      fc.property(request, (r) => expectSameAnswers(messageOf(webhook(r)))),
      { numRuns: 300 },
    );
  });

  it('is what request_csat and request_assignments read', () => {
    // A summary whose feedbacks and assignee differ from the value's shows which one was read.
    const m = messageOf(webhook({ feedbacks: '<p>ana gave 5</p>', assignedTo: { id: 'U9', name: 'Nine' } }));
    const summary = JSON.parse(m.headers![requestSummaryHeader]!) as { payload: { request: Record<string, unknown> } };
    summary.payload.request.feedbacks = '<p>bo gave 1</p>';
    summary.payload.request.assignedTo = { id: 'U8', name: 'Eight' };
    const headers = { [requestSummaryHeader]: JSON.stringify(summary) };
    expect(requestCsat.consumer.flatten(source(m.value, headers))).toMatchObject({
      rows: [{ rater: 'bo', rating: 1 }],
    });
    expect(requestAssignments.consumer.flatten(source(m.value, headers))).toMatchObject({
      rows: [{ assigned_to_id: 'U8' }],
    });
  });

  it('carries only its fields, and the envelope around them', () => {
    const m = messageOf(webhook({ feedbacks: '<p>ana gave 5</p>' }), 'acme');
    const summary = JSON.parse(m.headers![requestSummaryHeader]!) as Record<string, unknown> & {
      payload: { request: Record<string, unknown> };
    };
    const envelope = JSON.parse(m.value) as Record<string, unknown>;
    const { payload, ...summaryHead } = summary;
    expect({ ...summaryHead, payload: envelope.payload }).toEqual(envelope);
    expect(Object.keys(payload)).toEqual(['request']);
    expect(Object.keys(payload.request).every((k) => (requestSummaryFields as readonly string[]).includes(k))).toBe(
      true,
    );
    expect(payload.request.feedbacks).toBe('<p>ana gave 5</p>');
  });

  it(`is carried at exactly ${requestSummaryMaxChars} characters and left out at one more`, () => {
    const sized = (pad: number) => messageOf(webhook({ feedbacks: `<p>ana gave 5 ${'x'.repeat(pad)}</p>` }));
    const base = sized(0).headers![requestSummaryHeader]!.length;
    const atLimit = sized(requestSummaryMaxChars - base);
    expect(atLimit.headers?.[requestSummaryHeader]).toHaveLength(requestSummaryMaxChars);
    expect(sized(requestSummaryMaxChars - base + 1).headers).toBeUndefined();
  });

  it(`is left out above ${requestSummaryMaxChars} characters, and the value is read`, () => {
    const feedbacks = `<p>ana gave 5 with additional feedback of ${'x'.repeat(requestSummaryMaxChars)}</p>`;
    const m = messageOf(webhook({ feedbacks }));
    expect(m.headers).toBeUndefined();
    expect(requestCsat.consumer.flatten(source(m.value))).toMatchObject({ rows: [{ rater: 'ana', rating: 5 }] });
  });

  it('that cannot be read is passed over for the value', () => {
    const m = messageOf(webhook({ feedbacks: '<p>ana gave 5</p>' }));
    for (const broken of ['{', '{"schema":"other"}', '']) {
      const headers = { [requestSummaryHeader]: broken };
      expect(requestCsat.consumer.flatten(source(m.value, headers))).toEqual(
        requestCsat.consumer.flatten(source(m.value)),
      );
    }
  });
});
