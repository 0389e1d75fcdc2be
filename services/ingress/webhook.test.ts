import { describe, expect, it } from 'vitest';
import { canonicalRequestId, classify, maxDepth, type Accepted, type Rejected } from './webhook.js';
import { seed, seedBody, webhook } from '../../test/fixtures/webhooks.js';

const accepted = (body: unknown): Accepted => {
  const r = classify(typeof body === 'string' ? body : JSON.stringify(body));
  if (r.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(r)}`);
  return r;
};

describe('classify: the seed sample', () => {
  it("accepts Thena's sample with no problems, keyed by request 42", () => {
    const r = accepted(seedBody);
    expect(r).toMatchObject({ action: 'UPDATE', requestId: '42', fieldProblems: [] });
    expect(r.eventId).toMatch(/^[0-9a-f]{32}$/);
    expect(r.raw).toBe(seedBody);
  });

  it.each([
    ['the string "42"', '42', '42'],
    ['the number 42', 42, '42'],
    ['leading zeros "0042"', '0042', '42'],
    ['zero', 0, '0'],
    ['a long decimal string', '12345678901234567890', '12345678901234567890'],
    ['the largest exact number, 2^53 - 1', Number.MAX_SAFE_INTEGER, '9007199254740991'],
  ])('accepts requestId as %s', (_name, requestId, canonical) => {
    expect(accepted(webhook({ requestId })).requestId).toBe(canonical);
  });

  it.each(['CREATE', 'UPDATE', 'ESCALATE', 'something_new'])('accepts and keeps the action %s', (action) => {
    expect(accepted(webhook({}, action)).action).toBe(action);
  });

  it('keeps unknown fields in the raw body', () => {
    const r = accepted(webhook({ brandNewField: { nested: [1, 2] } }));
    expect(JSON.parse(r.raw).request.brandNewField).toEqual({ nested: [1, 2] });
  });
});

describe('classify: eventId (RFC 8785 canonical form)', () => {
  it('is the same for the same JSON whatever the key order and whitespace', () => {
    const reordered = JSON.stringify({
      request: Object.fromEntries(Object.entries(seed.request).reverse()),
      action: 'UPDATE',
    });
    expect(accepted(reordered).eventId).toBe(accepted(seedBody).eventId);
    expect(accepted(JSON.stringify(seed)).eventId).toBe(accepted(seedBody).eventId);
  });

  it('differs when any value differs', () => {
    expect(accepted(webhook({ status: 'CLOSED' })).eventId).not.toBe(accepted(seedBody).eventId);
  });

  it('matches the SHA-256 of the canonical form computed independently', async () => {
    const { createHash } = await import('node:crypto');
    // RFC 8785 for this tiny body: keys sorted, no whitespace, numbers in ES form.
    const canonical = '{"action":"CREATE","request":{"a":1e+21,"requestId":7,"z":"é"}}';
    const body = '{ "request": { "z": "\\u00e9", "requestId": 7, "a": 1000000000000000000000 }, "action": "CREATE" }';
    expect(accepted(body).eventId).toBe(createHash('sha256').update(canonical).digest('hex').slice(0, 32));
  });
});

describe('classify: documented fields of the wrong type are recorded, not rejected', () => {
  it.each([
    ['AI_generatedTags', 'Lorem'],
    ['AI_generatedTags', [1]],
    ['AI_requestSentiment', 3],
    ['AI_requestSummary', {}],
    ['AI_requestTitle', true],
    ['AI_requestUrgency', []],
    ['activity', 'none'],
    ['assignedBy', 'someone'],
    ['assignedTo', 5],
    ['channelId', 5],
    ['channelName', 5],
    ['closed_by', []],
    ['closed_on', 'yesterday'],
    ['configuredFieldValues', 'x'],
    ['createdAt', 1692826409],
    ['customer_name', 5],
    ['description', 5],
    ['feedbacks', ['<p>x</p>']],
    ['internalAlert', 'x'],
    ['isInternalHelpdesk', 'false'],
    ['isPrivateChannel', 0],
    ['permalink', 5],
    ['replyCount', '8'],
    ['replyCount', -1],
    ['replyCount', 1.5],
    ['requestLink', 5],
    ['requestTs', 'noon'],
    ['requestor', 'x'],
    ['sender', 'x'],
    ['status', 5],
    ['team_id', 5],
    ['team_name', 5],
    ['threadTs', 1692826255.621649],
    ['updatedAt', 'soon'],
  ])('%s = %j', (field, value) => {
    const r = accepted(webhook({ [field]: value }));
    expect(r.fieldProblems.some((p) => p.path === `/request/${field}` || p.path.startsWith(`/request/${field}/`))).toBe(
      true,
    );
    expect(JSON.parse(r.raw).request[field]).toEqual(value);
  });

  it('reports problems inside nested items with their path', () => {
    const r = accepted(webhook({ activity: [{ id: 'A', ts: 5, user: { id: 7 } }] }));
    expect(r.fieldProblems.map((p) => p.path).sort()).toEqual([
      '/request/activity/0/ts',
      '/request/activity/0/user/id',
    ]);
  });

  it('accepts null for every documented field', () => {
    const nulls = Object.fromEntries(
      Object.keys(seed.request)
        .filter((k) => k !== 'requestId')
        .map((k) => [k, null]),
    );
    expect(accepted(webhook(nulls)).fieldProblems).toEqual([]);
  });
});

describe('classify: bodies that cannot be keyed', () => {
  const deep =
    '{"action":"A","request":{"requestId":1,"x":' + '['.repeat(maxDepth + 5) + ']'.repeat(maxDepth + 5) + '}}';
  it.each<[string, string, Rejected['reason'], string]>([
    ['empty body', '', 'invalid_json', '/'],
    ['not JSON', 'action=UPDATE', 'invalid_json', '/'],
    ['truncated JSON', seedBody.slice(0, 100), 'invalid_json', '/'],
    ['a JSON array', '[1,2]', 'not_an_object', '/'],
    ['a JSON string', '"hello"', 'not_an_object', '/'],
    ['null', 'null', 'not_an_object', '/'],
    ['no action', JSON.stringify({ request: { requestId: 1 } }), 'missing_or_invalid_keys', '/action'],
    ['empty action', JSON.stringify({ action: '', request: { requestId: 1 } }), 'missing_or_invalid_keys', '/action'],
    ['numeric action', JSON.stringify({ action: 1, request: { requestId: 1 } }), 'missing_or_invalid_keys', '/action'],
    ['no request', JSON.stringify({ action: 'UPDATE' }), 'missing_or_invalid_keys', '/request'],
    ['request not an object', JSON.stringify({ action: 'UPDATE', request: [] }), 'missing_or_invalid_keys', '/request'],
    [
      'no requestId',
      JSON.stringify(webhook({ requestId: undefined })),
      'missing_or_invalid_keys',
      '/request/requestId',
    ],
    ['requestId null', JSON.stringify(webhook({ requestId: null })), 'missing_or_invalid_keys', '/request/requestId'],
    [
      'requestId not digits',
      JSON.stringify(webhook({ requestId: 'abc' })),
      'missing_or_invalid_keys',
      '/request/requestId',
    ],
    ['requestId negative', JSON.stringify(webhook({ requestId: -3 })), 'missing_or_invalid_keys', '/request/requestId'],
    [
      'requestId fractional',
      JSON.stringify(webhook({ requestId: 4.5 })),
      'missing_or_invalid_keys',
      '/request/requestId',
    ],
    ['a __proto__ key', '{"action":"A","request":{"requestId":1,"__proto__":{"admin":true}}}', 'forbidden_key', '/'],
    [
      'a nested constructor key',
      '{"action":"A","request":{"requestId":1,"x":{"constructor":{}}}}',
      'forbidden_key',
      '/',
    ],
    ['nesting too deep', deep, 'too_deep', '/'],
    ['a lone surrogate', '{"action":"A","request":{"requestId":1,"x":"\\ud800"}}', 'invalid_unicode', '/'],
  ])('%s', (_name, body, reason, path) => {
    const r = classify(body);
    expect(r).toMatchObject({ kind: 'rejected', reason, raw: body });
    expect((r as Rejected).details.map((d) => d.path)).toContain(path);
    for (const d of (r as Rejected).details) expect(d.message.length).toBeGreaterThan(5);
  });

  it.each([
    ['1e21', '{"action":"CREATE","request":{"requestId":1e21}}'],
    ['an integer past 2^53', '{"action":"CREATE","request":{"requestId":12345678901234567891}}'],
    ['2^53', '{"action":"CREATE","request":{"requestId":9007199254740992}}'],
  ])('rejects a numeric requestId of %s, which would lose digits, and says to send a string', (_name, body) => {
    const r = classify(body);
    expect(r).toMatchObject({ kind: 'rejected', reason: 'missing_or_invalid_keys', raw: body });
    expect((r as Rejected).details).toEqual([
      {
        path: '/request/requestId',
        message:
          'a number past 2^53 - 1 (9007199254740991) loses digits when read; send requestId as a string of decimal digits',
      },
    ]);
  });

  it('does not pollute Object.prototype whatever the body', () => {
    classify('{"action":"A","request":{"requestId":1},"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('strips a byte-order mark rather than rejecting', () => {
    expect(accepted('\ufeff' + seedBody).raw).toBe(seedBody);
  });

  it('survives extreme nesting without overflowing the stack', () => {
    expect(classify('['.repeat(200_000) + ']'.repeat(200_000)).kind).toBe('rejected');
  });
});

describe('canonicalRequestId', () => {
  it.each([
    [42, '42'],
    ['42', '42'],
    ['007', '7'],
    ['0', '0'],
  ])('%j -> %s', (input, out) => {
    expect(canonicalRequestId(input)).toBe(out);
  });
});
