import { describe, expect, it } from 'vitest';
import { progress } from './progress.js';

describe('progress', () => {
  it('prints done of total, the rate and the time left, at most every interval, and a summary', () => {
    const lines: string[] = [];
    let t = 0;
    const p = progress('request_activity', { write: (l) => lines.push(l), now: () => t, intervalMs: 2000 });
    t = 2000;
    p.update(4000, 40_000);
    t = 3000;
    p.update(6000, 40_000); // within the interval: not printed
    t = 4000;
    p.update(8000, 40_000);
    t = 20_000;
    p.finish('40,000 events, 41,200 rows');
    expect(lines).toEqual([
      'request_activity: 4,000 of 40,000 events (10%), 2,000 events/s, about 18 s left',
      'request_activity: 8,000 of 40,000 events (20%), 2,000 events/s, about 16 s left',
      'request_activity: 40,000 events, 41,200 rows in 20 s',
    ]);
  });

  it('never reports more than 100 % or a negative time left when the work passes its total', () => {
    const lines: string[] = [];
    let t = 0;
    const p = progress('request_activity (lake)', { write: (l) => lines.push(l), now: () => t, intervalMs: 0 });
    t = 20_000;
    p.update(974, 358);
    expect(lines).toEqual(['request_activity (lake): 974 of 974 events (100%), 49 events/s, about 0 s left']);
  });
});
