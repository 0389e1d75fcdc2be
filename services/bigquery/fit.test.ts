import { describe, expect, it } from 'vitest';
import { requestEvents } from '../../tables/request-events/table.js';
import { rejectedEvents } from '../../tables/rejected-events/table.js';
import { cutJson, cutText, fitRow, rowBytes } from './fit.js';
import { toStorageRow } from './rows.js';
import type { JSONRow } from './write-api.js';

const base: JSONRow = {
  workspace: 'default',
  event_id: 'e'.repeat(32),
  request_id: '42',
  event_time: '1692831081912000',
  action: 'UPDATE',
  received_at: '1692831081912000',
  payload_json: '{}',
  truncated_columns: [],
};

describe('cutText', () => {
  it.each([
    ['ascii', 'abcdef', 4, 'abcd'],
    ['a two-byte character left whole or out', 'aé', 2, 'a'],
    ['an astral character (four bytes) is never split', 'a😀b', 4, 'a'],
    ['text that fits is unchanged', 'é😀', 6, 'é😀'],
    ['nothing fits', '😀', 3, ''],
  ])('%s', (_what, text, max, expected) => {
    const out = cutText(text, max);
    expect(out).toBe(expected);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(max);
    expect(out).not.toContain('\ufffd');
  });
});

describe('cutJson', () => {
  it('shortens the strings inside and stays valid JSON, keys and structure kept', () => {
    const doc = { a: 'x'.repeat(1000), b: [1, 'y'.repeat(500)], c: { d: true } };
    const out = cutJson(JSON.stringify(doc), 300)!;
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(300);
    const back = JSON.parse(out) as typeof doc;
    expect(Object.keys(back)).toEqual(['a', 'b', 'c']);
    expect(back.c).toEqual({ d: true });
    expect(doc.a.startsWith(back.a)).toBe(true);
    expect(back.a.length).toBeGreaterThan(50);
  });

  it('never splits a surrogate pair', () => {
    const out = cutJson(JSON.stringify({ t: '😀'.repeat(100) }), 60)!;
    expect(JSON.parse(out).t).toMatch(/^(😀)*$/u);
  });

  it('gives nothing when the structure alone is too large, or the text is not JSON', () => {
    expect(cutJson(JSON.stringify(Array.from({ length: 1000 }, () => 1)), 100)).toBeUndefined();
    expect(cutJson('{not json', 100)).toBeUndefined();
  });
});

describe('fitRow', () => {
  it('leaves a row that fits alone, with nothing named', () => {
    const out = fitRow(requestEvents, base, 10_000);
    expect(out).toEqual({ json: base, truncated: [] });
  });

  it('cuts the largest values to fit and names them; the rest stays whole', () => {
    const description = 'd'.repeat(3 * 1024 * 1024);
    const row = {
      ...base,
      description_html: `<p>${description}</p>`,
      description_text: description,
      payload_json: JSON.stringify({ requestId: 42, description: `<p>${description}</p>`, status: 'OPEN' }),
      status: 'OPEN',
    };
    const out = fitRow(requestEvents, row, 1_000_000);
    if ('problem' in out) throw new Error(out.problem);
    expect(rowBytes(out.json)).toBeLessThanOrEqual(1_000_000);
    expect(out.truncated.sort()).toEqual(['description_html', 'description_text', 'payload_json']);
    expect(out.json.truncated_columns).toEqual(out.truncated);
    expect(out.json.status).toBe('OPEN');
    expect(out.json.event_id).toBe(base.event_id);
    const payload = JSON.parse(out.json.payload_json as string) as Record<string, unknown>;
    expect(payload).toMatchObject({ requestId: 42, status: 'OPEN' });
    expect((out.json.description_text as string).length).toBeGreaterThan(200_000);
  });

  it('puts a valid JSON null in a required JSON column whose structure cannot fit', () => {
    const row = { ...base, payload_json: JSON.stringify(Array.from({ length: 100_000 }, (_, i) => i)) };
    const out = fitRow(requestEvents, row, 5_000);
    if ('problem' in out) throw new Error(out.problem);
    expect(out.json.payload_json).toBe('null');
    expect(out.truncated).toEqual(['payload_json']);
  });

  it('leaves out a nullable JSON column that cannot fit', () => {
    const row: JSONRow = {
      workspace: 'default',
      received_at: '1',
      reason: 'invalid_json',
      details_json: JSON.stringify(Array.from({ length: 100_000 }, () => 0)),
      raw_body: 'x',
      truncated_columns: [],
    };
    const out = fitRow(rejectedEvents, row, 5_000);
    if ('problem' in out) throw new Error(out.problem);
    expect(out.json.details_json).toBeUndefined();
    expect(out.json.truncated_columns).toEqual(['details_json']);
  });

  it('keeps what an earlier cut named when it cuts again', () => {
    const row = { ...base, description_text: 't'.repeat(50_000), description_html: 'h'.repeat(20_000) };
    const first = fitRow(requestEvents, row, 40_000);
    if ('problem' in first) throw new Error(first.problem);
    const again = fitRow(requestEvents, first.json, 15_000);
    if ('problem' in again) throw new Error(again.problem);
    expect(again.json.truncated_columns).toEqual(expect.arrayContaining(first.truncated));
    expect(rowBytes(again.json)).toBeLessThanOrEqual(15_000);
  });

  it('is a problem when what cannot be cut is larger than the limit', () => {
    expect(fitRow(requestEvents, { ...base, event_id: 'e'.repeat(5_000) }, 1_000)).toHaveProperty('problem');
  });
});

describe('toStorageRow', () => {
  it('sends text well formed: a lone surrogate becomes U+FFFD, as UTF-8 stores it', () => {
    const out = toStorageRow(requestEvents, {
      workspace: 'default',
      event_id: 'e',
      request_id: '1',
      event_time: 1n,
      action: 'UPDATE',
      received_at: 1n,
      payload_json: '{}',
      status: 'a\ud800b',
      ai_tags: ['x\udfff'],
    });
    expect(out).toMatchObject({ json: { status: 'a\ufffdb', ai_tags: ['x\ufffd'], event_time: '1' } });
  });
});
