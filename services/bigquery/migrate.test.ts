import { describe, expect, it } from 'vitest';
import { declaredDigest } from './migrate.js';
import { catalogue, requestEvents } from '../../tables/catalogue.js';

describe('declaredDigest', () => {
  const base = { dataset: 'thena_lake', location: 'US' };

  it('is the same for the same declaration, and a label value BigQuery takes', () => {
    expect(declaredDigest(base)).toBe(declaredDigest({ ...base }));
    expect(declaredDigest(base)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('changes with a column, a table version, a view’s SQL, the location or the partition expiration', () => {
    const withColumn = {
      ...requestEvents,
      columns: [
        ...requestEvents.columns,
        { name: 'x', type: 'BOOL' as const, mode: 'NULLABLE' as const, description: '' },
      ],
    };
    const newer = { ...requestEvents, version: requestEvents.version + 1 };
    const otherView = {
      ...requestEvents,
      views: requestEvents.views.map((v, i) => (i === 0 ? { ...v, sql: `${v.sql} ` } : v)),
    };
    const swap = (t: typeof requestEvents) => catalogue.map((c) => (c === requestEvents ? t : c));
    const digests = [
      declaredDigest(base),
      declaredDigest({ ...base, tables: swap(withColumn) }),
      declaredDigest({ ...base, tables: swap(newer) }),
      declaredDigest({ ...base, tables: swap(otherView) }),
      declaredDigest({ ...base, location: 'EU' }),
      declaredDigest({ ...base, partitionExpirationDays: 400 }),
    ];
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('does not depend on the dataset’s name (the label is on the dataset itself)', () => {
    expect(declaredDigest({ ...base, dataset: 'other' })).toBe(declaredDigest(base));
  });
});
