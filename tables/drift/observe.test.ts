import { describe, expect, it } from 'vitest';
import { seed, webhook } from '../../test/fixtures/webhooks.js';
import { platformBody, ticket } from '../../test/fixtures/platform-events.js';
import {
  driftEntry,
  exampleOf,
  maxContainerExampleChars,
  maxDriftPerEvent,
  maxExampleChars,
  maxKeyChars,
  observeDrift,
  pathSegments,
  readDriftEntry,
  shapeOf,
  type DriftRules,
} from './observe.js';
import { platformDrift, requestDrift } from './rules.js';

describe('observeDrift on request webhooks', () => {
  it('finds nothing in Thena’s own sample', () => {
    expect(observeDrift(seed, requestDrift)).toEqual([]);
  });

  it('names an unknown member at its path, with its value as the example', () => {
    const body = { ...webhook({ brandNew: { a: 1 } }), extra: 'top' };
    expect(observeDrift(body, requestDrift)).toEqual([
      { kind: 'unknown', path: 'request.brandNew', example: '{"a":1}' },
      { kind: 'unknown', path: 'extra', example: '"top"' },
    ]);
  });

  it('writes an array’s path once, and a finding once per body, the example from its first place', () => {
    const activity = [
      { id: 'a', text: 'x', ts: '1692826409.902529', user: { id: 'U1' } },
      { id: 'b', text: 'y', ts: 1692826410, user: { id: 'U1', mood: 'ok' } },
      { id: 'c', text: 'z', ts: 1692826411, user: { id: 'U1', mood: 'good' } },
    ];
    expect(observeDrift(webhook({ activity }), requestDrift)).toEqual([
      { kind: 'type', path: 'request.activity[].ts', example: '1692826410' },
      { kind: 'unknown', path: 'request.activity[].user.mood', example: '"ok"' },
    ]);
  });

  it('takes a documented alternative (requestId as a number or a string) and null where allowed', () => {
    expect(observeDrift(webhook({ requestId: 42 }), requestDrift)).toEqual([]);
    expect(observeDrift(webhook({ assignedTo: null, replyCount: null }), requestDrift)).toEqual([]);
  });

  it('tells an integer from a number where the description asks for an integer', () => {
    expect(observeDrift(webhook({ replyCount: 2.5 }), requestDrift)).toEqual([
      { kind: 'type', path: 'request.replyCount', example: '2.5' },
    ]);
  });

  it('reports an expected field that is absent, in each array item, and not under an absent parent', () => {
    const activity = [{ id: 'a', ts: '1.5', user: { id: 'U1' } }, { id: 'b' }];
    expect(observeDrift(webhook({ team_id: undefined, activity }), requestDrift)).toEqual([
      { kind: 'missing', path: 'request.team_id', example: null },
      { kind: 'missing', path: 'request.activity[].ts', example: null },
      { kind: 'missing', path: 'request.activity[].user', example: null },
    ]);
    // No activity at all: its items' fields are not judged; an optional field absent is not drift.
    expect(observeDrift(webhook({ activity: undefined, permalink: undefined }), requestDrift)).toEqual([]);
  });

  it('does not descend into a member of the wrong type, nor into an unknown one', () => {
    expect(observeDrift(webhook({ requestor: 'U1', brandNew: { x: { y: 1 } } }), requestDrift)).toEqual([
      { kind: 'type', path: 'request.requestor', example: '"U1"' },
      { kind: 'unknown', path: 'request.brandNew', example: '{"x":{"y":1}}' },
    ]);
  });

  it('escapes a key’s own \\ . [ and ], so that the path reads back into its keys', () => {
    const found = observeDrift(webhook({ 'a.b': 1, 'c[]': 2, 'd\\e': 3, '': 4 }), requestDrift);
    expect(found.map((d) => d.path)).toEqual(['request.a\\.b', 'request.c\\[\\]', 'request.d\\\\e', 'request.']);
    expect(found.map((d) => pathSegments(d.path))).toEqual([
      ['request', 'a.b'],
      ['request', 'c[]'],
      ['request', 'd\\e'],
      ['request', ''],
    ]);
    expect(pathSegments('request.activity[].ts')).toEqual(['request', 'activity', '[]', 'ts']);
    expect(pathSegments('a[][].b')).toEqual(['a', '[]', '[]', 'b']);
  });

  it('keeps the first findings of a body that invents many keys, and cuts long keys and examples', () => {
    const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    const found = observeDrift(webhook(many), requestDrift);
    expect(found).toHaveLength(maxDriftPerEvent);
    expect(found[0]).toEqual({ kind: 'unknown', path: 'request.k0', example: '0' });

    const long = observeDrift(webhook({ ['x'.repeat(1000)]: 'y'.repeat(1000) }), requestDrift)[0]!;
    expect(long.path).toBe(`request.${'x'.repeat(maxKeyChars)}…`);
    expect(JSON.parse(long.example!)).toBe(`${'y'.repeat(100)}…`);
  });
});

describe('the bounds, at each limit and one past it', () => {
  const invented = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

  it(`keeps exactly ${maxDriftPerEvent} findings, and no more`, () => {
    expect(observeDrift(webhook(invented(maxDriftPerEvent)), requestDrift)).toHaveLength(maxDriftPerEvent);
    const over = observeDrift(webhook(invented(maxDriftPerEvent + 1)), requestDrift);
    expect(over).toHaveLength(maxDriftPerEvent);
    expect(over.at(-1)!.path).toBe(`request.k${maxDriftPerEvent - 1}`);
  });

  it(`keeps a key of ${maxKeyChars} characters whole and cuts one of ${maxKeyChars + 1}`, () => {
    const [whole] = observeDrift(webhook({ ['x'.repeat(maxKeyChars)]: 1 }), requestDrift);
    expect(whole!.path).toBe(`request.${'x'.repeat(maxKeyChars)}`);
    const [cut] = observeDrift(webhook({ ['x'.repeat(maxKeyChars + 1)]: 1 }), requestDrift);
    expect(cut!.path).toBe(`request.${'x'.repeat(maxKeyChars)}…`);
  });

  it(`keeps a string example of ${maxExampleChars} characters whole and cuts one of ${maxExampleChars + 1}`, () => {
    expect(JSON.parse(exampleOf('y'.repeat(maxExampleChars)))).toBe('y'.repeat(maxExampleChars));
    expect(JSON.parse(exampleOf('y'.repeat(maxExampleChars + 1)))).toBe(`${'y'.repeat(maxExampleChars)}…`);
  });

  it(`keeps an object example whose JSON is ${maxContainerExampleChars} characters and names one of ${maxContainerExampleChars + 1}`, () => {
    // {"a":"…"} is 8 characters around the string.
    const sized = (n: number) => ({ a: 'z'.repeat(n - 8) });
    expect(JSON.stringify(sized(maxContainerExampleChars))).toHaveLength(maxContainerExampleChars);
    expect(exampleOf(sized(maxContainerExampleChars))).toBe(JSON.stringify(sized(maxContainerExampleChars)));
    expect(exampleOf(sized(maxContainerExampleChars + 1))).toBe('"<object>"');
  });
});

describe('observeDrift on platform events', () => {
  it('finds nothing in a documented ticket:created, and leaves the payload’s other members alone', () => {
    const body = platformBody('ticket:created', { ticket: ticket(), account: { id: 'A1' } });
    expect(observeDrift(body, platformDrift)).toEqual([]);
  });

  it('judges the envelope closed, the ticket’s members read by the tables by type, and the expected fields', () => {
    const body = platformBody(
      'ticket:updated',
      { ticket: ticket({ statusName: 7, isEscalated: 'yes' }) },
      {
        orgId: undefined,
        traceId: 'abc',
      },
    );
    expect(observeDrift(body, platformDrift)).toEqual([
      { kind: 'type', path: 'payload.ticket.statusName', example: '7' },
      { kind: 'type', path: 'payload.ticket.isEscalated', example: '"yes"' },
      { kind: 'unknown', path: 'traceId', example: '"abc"' },
      { kind: 'missing', path: 'orgId', example: null },
    ]);
  });
});

describe('shapeOf', () => {
  it('reads types, members, items and alternatives; an object without members is open', () => {
    const rules: DriftRules = {
      shape: shapeOf({
        type: 'object',
        properties: {
          id: { oneOf: [{ type: 'integer' }, { type: 'string' }] },
          any: {},
          bag: { type: 'object' },
          list: { type: 'array', items: { type: 'object', properties: { n: { type: 'number' } } } },
        },
      }),
      expected: ['id'],
    };
    expect(observeDrift({ id: 'x', any: [1], bag: { z: 1 }, list: [{ n: 1 }, { n: 1.5 }] }, rules)).toEqual([]);
    expect(observeDrift({ id: true, list: [{ n: 'a', m: 1 }] }, rules)).toEqual([
      { kind: 'type', path: 'id', example: 'true' },
      { kind: 'type', path: 'list[].n', example: '"a"' },
      { kind: 'unknown', path: 'list[].m', example: '1' },
    ]);
    expect(observeDrift({}, rules)).toEqual([{ kind: 'missing', path: 'id', example: null }]);
  });
});

describe('entries', () => {
  it('round-trip through the column’s JSON, and anything else reads as no finding', () => {
    const d = { kind: 'type', path: 'a\\.b[].c', example: '{"x":"y"}' } as const;
    expect(readDriftEntry(driftEntry(d))).toEqual(d);
    expect(readDriftEntry('not json')).toBeUndefined();
    expect(readDriftEntry('["other","p",null]')).toBeUndefined();
  });

  it('examples are JSON text, large objects and arrays named only', () => {
    expect(exampleOf({ a: 1 })).toBe('{"a":1}');
    expect(exampleOf(Array.from({ length: 100 }, (_, i) => i))).toBe('"<array>"');
    expect(exampleOf({ big: 'x'.repeat(300) })).toBe('"<object>"');
    expect(exampleOf(null)).toBe('null');
  });
});
