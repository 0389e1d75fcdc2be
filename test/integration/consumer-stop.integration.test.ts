// Stopping a consumer service writes and commits what it has buffered before it leaves the group.
import { describe, expect, inject, it } from 'vitest';
import { openLake } from '../../services/lake/duckdb.js';
import { lakeFixture } from '../support/lake.js';
import { waitFor } from '../support/wait.js';
import { webhook } from '../fixtures/webhooks.js';

describe('consumer stop', () => {
  it('writes and commits buffered rows before leaving', async () => {
    const fx = await lakeFixture(inject('kafkaBrokers'));
    const admin = fx.kafka.admin();
    await admin.connect();
    try {
      // Files would close only after a minute: what is written at stop comes from stop().
      const consumer = await fx.consume('request-events', { maxAgeMs: 60_000 });
      await fx.publish(Array.from({ length: 10 }, (_, i) => webhook({ requestId: String(9100 + i) })));
      await waitFor('10 rows buffered', () => consumer.bufferedRows === 10, 30_000);
      await consumer.stop();

      const committed = (await admin.fetchOffsets({ groupId: consumer.groupId, topics: [fx.eventsTopic] }))[0]!
        .partitions;
      expect(committed.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0)).toBe(10);
      const lake = await openLake(fx.lakeDir);
      expect((await lake.runAndReadAll('SELECT count(*) FROM request_events')).getRowsJS()[0]![0]).toBe(10n);
    } finally {
      await admin.disconnect();
      await fx.close();
    }
  });
});
