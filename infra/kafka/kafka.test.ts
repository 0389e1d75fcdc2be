import { describe, expect, it } from 'vitest';
import { newClusterId } from './kafka.js';

describe('newClusterId', () => {
  it('draws 22-character URL-safe ids of 16 bytes that never start with "-"', () => {
    // A base64url id starts with '-' one time in 64: 20,000 draws would hold about 310 of them.
    const ids = Array.from({ length: 20_000 }, newClusterId);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});
