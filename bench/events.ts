// The consumer benchmarks' events (bench:consumers, bench/read-cost.ts): Thena's sample as
// `count` distinct events over 1,000 requests, each with `activity` distinct activity items (the
// shape MEASURED.md used, 5.4 kB with 20), a CSAT entry and an assignee, so every request table
// writes full rows. Accepted by the ingress's own classifier.
import { classify, type Accepted } from '../services/ingress/webhook.js';
import { webhook } from '../test/fixtures/webhooks.js';

export function benchEvents(count: number, activityPerEvent: number): Accepted[] {
  const base = Date.parse('2026-11-01T00:00:00Z');
  return Array.from({ length: count }, (_, i) => {
    const activity = Array.from({ length: activityPerEvent }, (_, j) => ({
      id: `A${i}-${j}`,
      ts: `${Math.floor(base / 1000) + i}.${String(j).padStart(6, '0')}`,
      text: `<p>Reply ${j} on event ${i}: the export still fails after the retry &amp; the log says so.</p>`,
      user: { id: `U${j % 7}`, name: ['Ana Lima', '😀 Priya', 'Ｊｏｈｎ'][j % 3] },
    }));
    const body = webhook({
      requestId: String(100_000 + (i % 1000)),
      updatedAt: new Date(base + i * 1000).toISOString(),
      activity,
      feedbacks: `<p>cust${i} gave ${1 + (i % 5)} with additional feedback of ok ${i}</p>`,
      assignedTo: { id: `AG${i}`, name: `agent ${i}` },
    });
    const result = classify(JSON.stringify(body));
    if (result.kind !== 'accepted') throw new Error(`bench body rejected: ${result.reason}`);
    return result;
  });
}
