import { describe, expect, it } from 'vitest';
import { requestActivity, requestEvents, catalogue as tables } from '../../../tables/catalogue.js';
import { MAX_TIMESTAMP_MICROS, ParquetRowError, parquetSchemas, recordEncoder } from './schema.js';

describe('parquetSchemas', () => {
  it.each(tables.map((t) => [t.name, t] as const))('%s: one top-level field per column, in order', (_n, table) => {
    const { write, footer } = parquetSchemas(table);
    expect(Object.keys(write.fields)).toEqual(table.columns.map((c) => c.name));
    expect(Object.keys(footer.fields)).toEqual(table.columns.map((c) => c.name));
    for (const c of table.columns) {
      const expected = c.mode === 'REQUIRED' ? 'REQUIRED' : 'OPTIONAL';
      expect([c.name, footer.fields[c.name]!.repetitionType]).toEqual([c.name, expected]);
    }
  });

  it('writes no statistics for any string leaf, list elements included', () => {
    const { write } = parquetSchemas(requestEvents);
    const leaves = write.fieldList.filter((f) => !f.isNested);
    const strings = leaves.filter((f) => f.originalType === 'UTF8');
    expect(strings.map((f) => f.path.join('.'))).toContain('ai_tags.list.element');
    for (const f of strings) expect([f.path.join('.'), f.statistics]).toEqual([f.path.join('.'), false]);
    for (const f of leaves.filter((l) => l.originalType !== 'UTF8')) expect(f.statistics).toBeUndefined();
  });

  it('makes REPEATED a three-level LIST', () => {
    const { footer } = parquetSchemas(requestEvents);
    const list = footer.fieldList.filter((f) => f.path[0] === 'ai_tags');
    expect(list.map((f) => [f.path.join('.'), f.repetitionType, f.originalType ?? null])).toEqual([
      ['ai_tags', 'OPTIONAL', 'LIST'],
      ['ai_tags.list', 'REPEATED', null],
      ['ai_tags.list.element', 'OPTIONAL', 'UTF8'],
    ]);
  });

  it('encodes TIMESTAMP as INT64 and annotates it TIMESTAMP_MICROS in the footer only', () => {
    const { write, footer } = parquetSchemas(requestActivity);
    expect(write.fields.activity_ts).toMatchObject({ primitiveType: 'INT64' });
    expect(write.fields.activity_ts!.originalType).toBeUndefined();
    expect(footer.fields.activity_ts).toMatchObject({ primitiveType: 'INT64', originalType: 'TIMESTAMP_MICROS' });
    expect(footer.fields.activity_index!.originalType).toBeUndefined();
  });

  it('applies the compression to every leaf', () => {
    const { write } = parquetSchemas(requestEvents, 'GZIP');
    expect(new Set(write.fieldList.filter((f) => !f.isNested).map((f) => f.compression))).toEqual(new Set(['GZIP']));
  });
});

describe('recordEncoder', () => {
  const encodeEvent = recordEncoder(requestEvents);
  const encodeActivity = recordEncoder(requestActivity);
  const event = {
    event_id: 'e1',
    request_id: '7',
    event_time: -999_999n,
    action: 'CREATE',
    received_at: 1_692_826_409_902_529n,
    payload_json: '{}',
  };
  const activity = { event_id: 'e1', request_id: '7', event_time: 0n, activity_index: 0 };

  it('converts timestamps to exact numbers, lists to LIST records and missing keys to NULL', () => {
    const record = encodeEvent({ ...event, ai_tags: ['a', '😀'], reply_count: 3, is_private_channel: false }, 0);
    expect(record).toMatchObject({
      event_time: -999_999,
      received_at: 1_692_826_409_902_529,
      ai_tags: { list: [{ element: 'a' }, { element: '😀' }] },
      reply_count: 3,
      is_private_channel: false,
      status: null,
      closed_on: null,
    });
    expect(Object.keys(record)).toEqual(requestEvents.columns.map((c) => c.name));
    expect(encodeEvent({ ...event, ai_tags: [] }, 0).ai_tags).toEqual({ list: [] });
    expect(encodeEvent({ ...event, ai_tags: null }, 0).ai_tags).toBeNull();
  });

  it('accepts the timestamp range ends', () => {
    expect(encodeActivity({ ...activity, activity_ts: MAX_TIMESTAMP_MICROS }, 0).activity_ts).toBe(
      Number.MAX_SAFE_INTEGER,
    );
    expect(encodeActivity({ ...activity, activity_ts: -MAX_TIMESTAMP_MICROS }, 0).activity_ts).toBe(
      -Number.MAX_SAFE_INTEGER,
    );
  });

  it.each([
    [{ event_id: null }, 'column event_id: REQUIRED STRING but the row has null'],
    [{ event_time: undefined }, 'column event_time: REQUIRED TIMESTAMP but the row has no value'],
    [{ event_id: 42 }, 'column event_id: expected a string, got 42'],
    [{ activity_index: 1.5 }, 'column activity_index: expected a safe integer number, got 1.5'],
    [{ activity_index: 2 ** 53 }, 'column activity_index: expected a safe integer number, got 9007199254740992'],
    [{ activity_index: 3n }, 'column activity_index: expected a safe integer number, got 3n'],
    [{ activity_ts: 1_692_826_409_902 }, 'column activity_ts: expected bigint microseconds'],
    [{ activity_ts: MAX_TIMESTAMP_MICROS + 1n }, 'got 9007199254740992n'],
    [{ activity_ts: -MAX_TIMESTAMP_MICROS - 1n }, 'got -9007199254740992n'],
    [{ user_name: { name: 'x' } }, 'column user_name: expected a string, got an object'],
    [{ userName: 'x' }, 'column userName: the table declares no such column'],
  ])('activity row %o -> %s', (override, message) => {
    const run = () => encodeActivity({ ...activity, ...override }, 5);
    expect(run).toThrow(ParquetRowError);
    expect(run).toThrow('request_activity row 5, ');
    expect(run).toThrow(message);
  });

  it.each([
    [{ ai_tags: 'a' }, 'column ai_tags: expected an array whose elements are each a string, got "a"'],
    [{ ai_tags: ['a', null] }, 'column ai_tags: element 1: expected a string, got null'],
    [{ is_private_channel: 'true' }, 'column is_private_channel: expected a boolean, got "true"'],
  ])('event row %o -> %s', (override, message) => {
    const run = () => encodeEvent({ ...event, ...override }, 0);
    expect(run).toThrow(`request_events row 0, ${message}`);
  });

  it('shortens long strings in messages', () => {
    expect(() => encodeActivity({ ...activity, activity_index: 'z'.repeat(100) }, 0)).toThrow(
      `got "${'z'.repeat(40)}…"`,
    );
  });
});
