import { describe, expect, it } from 'vitest';
import { envelopeMessage, seedMessage, seedEventId, seedUpdatedAt, columnsOf } from '../../test/fixtures/envelopes.js';
import { webhook } from '../../test/fixtures/webhooks.js';
import { flattened } from '../../test/support/flatten.js';
import { requestActivityFlattener } from './flatten.js';
import { requestActivity } from './table.js';

describe('request_activity', () => {
  it('flattens the seed sample’s activity item with its timestamp and plain text', () => {
    const { rows } = flattened(requestActivityFlattener(seedMessage));
    expect(rows.map((r) => Object.keys(r).sort())).toEqual([columnsOf(requestActivity)]);
    expect(rows[0]).toEqual({
      workspace: 'default',
      event_id: seedEventId,
      request_id: '42',
      event_time: seedUpdatedAt,
      activity_index: 0,
      activity_id: 'LOREM12345',
      activity_ts: 1692826409902529n,
      activity_ts_raw: '1692826409.902529',
      user_id: 'LOREM12345',
      user_name: 'lorem.ipsum',
      text_html: '<p>Lorem ipsum dolor sit.</p>',
      text_plain: 'Lorem ipsum dolor sit.',
      truncated_columns: [],
    });
  });

  it('yields no rows for absent, null, empty or non-list activity', () => {
    for (const activity of [undefined, null, [], 'x']) {
      expect(flattened(requestActivityFlattener(envelopeMessage(webhook({ activity })))).rows).toEqual([]);
    }
  });

  it('decodes entities and keeps unicode, and survives odd items', () => {
    const { rows } = flattened(
      requestActivityFlattener(
        envelopeMessage(
          webhook({
            activity: [
              {
                id: 'A',
                ts: '1692826409',
                text: '<p>Caf&eacute; &amp; 😀 <b>Ｂｏｌｄ</b><br>next</p>',
                user: { id: 'U', name: '🎉 zed' },
              },
              'junk',
              { ts: 12 },
            ],
          }),
        ),
      ),
    );
    expect(rows[0]).toMatchObject({
      activity_ts: 1692826409000000n,
      text_plain: 'Café & 😀 Ｂｏｌｄ\nnext',
      user_name: '🎉 zed',
    });
    expect(rows[1]).toMatchObject({ activity_index: 1, activity_id: null, activity_ts: null });
    expect(rows[2]).toMatchObject({ activity_ts: 12000000n, activity_ts_raw: '12' });
  });

  it('flattens 1,000 activity items in order', () => {
    const activity = Array.from({ length: 1000 }, (_, i) => ({
      id: `A${i}`,
      ts: `1692826409.${String(i).padStart(6, '0')}`,
      text: `<p>${i}</p>`,
      user: { id: 'U1', name: 'n' },
    }));
    const { rows } = flattened(requestActivityFlattener(envelopeMessage(webhook({ activity }))));
    expect(rows).toHaveLength(1000);
    expect(rows[999]).toMatchObject({
      activity_index: 999,
      activity_id: 'A999',
      activity_ts: 1692826409000999n,
      text_plain: '999',
    });
  });
});
