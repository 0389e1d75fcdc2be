import { describe, expect, it } from 'vitest';
import { envelopeMessage, seedMessage, seedEventId, seedUpdatedAt, columnsOf } from '../../test/fixtures/envelopes.js';
import { webhook } from '../../test/fixtures/webhooks.js';
import { flattened } from '../../test/support/flatten.js';
import { requestCsatFlattener } from './flatten.js';
import { requestCsat } from './table.js';
import { parseFeedbacks } from '../thena/feedbacks.js';

describe('request_csat', () => {
  it('flattens the seed sample’s entry', () => {
    const { rows, counts } = flattened(requestCsatFlattener(seedMessage));
    expect(rows.map((r) => Object.keys(r).sort())).toEqual([columnsOf(requestCsat)]);
    expect(rows[0]).toEqual({
      workspace: 'default',
      event_id: seedEventId,
      request_id: '42',
      event_time: seedUpdatedAt,
      rater: 'lorem.ipsum_customer',
      rating: 5,
      comment: 'Great Support!',
      feedback_html: '<p>lorem.ipsum_customer gave 5 with additional feedback of Great Support!</p>',
      truncated_columns: [],
    });
    expect(counts).toBeUndefined();
  });

  it.each<[string, unknown, { rater: string | null; rating: number | null; comment: string | null }[]]>([
    ['absent', undefined, []],
    ['null', null, []],
    ['empty', '', []],
    ['empty paragraph', '<p></p>', []],
    ['a rating without a comment', '<p>ana gave 4</p>', [{ rater: 'ana', rating: 4, comment: null }]],
    [
      'an empty comment',
      '<p>ana gave 4 with additional feedback of </p>',
      [{ rater: 'ana', rating: 4, comment: null }],
    ],
    [
      'several entries',
      '<p>ana gave 5 with additional feedback of Great!</p><p>bo gave 2 with additional feedback of slow &amp; late</p>',
      [
        { rater: 'ana', rating: 5, comment: 'Great!' },
        { rater: 'bo', rating: 2, comment: 'slow & late' },
      ],
    ],
    ['no <p> at all', 'ana gave 3', [{ rater: 'ana', rating: 3, comment: null }]],
    [
      'unicode',
      '<p>Ｚｏë 😀 gave 1 with additional feedback of 좋아요</p>',
      [{ rater: 'Ｚｏë 😀', rating: 1, comment: '좋아요' }],
    ],
    ['an unreadable entry', '<p>thumbs up!</p>', [{ rater: null, rating: null, comment: 'thumbs up!' }]],
    [
      'a fractional rating',
      '<p>ana gave 4.5 with additional feedback of ok</p>',
      [{ rater: null, rating: null, comment: 'ana gave 4.5 with additional feedback of ok' }],
    ],
  ])('%s', (_name, feedbacks, expected) => {
    expect(parseFeedbacks(feedbacks).map(({ rater, rating, comment }) => ({ rater, rating, comment }))).toEqual(
      expected,
    );
  });

  // Each took hours through the regular expressions parseFeedbacks had (quadratic in the run); the
  // 5 s test timeout is the guard.
  it('reads 4 MiB of <p> never closed: no paragraph, no text, no entry', () => {
    const feedbacks = '<p>'.repeat(Math.floor((4 * 1024 * 1024) / 3));
    expect(flattened(requestCsatFlattener(envelopeMessage(webhook({ feedbacks }))))).toEqual({
      kind: 'rows',
      rows: [],
    });
  });

  it('reads 4 MiB of spaces between two words as one unreadable entry', () => {
    const feedbacks = `a${' '.repeat(4 * 1024 * 1024 - 2)}b`;
    const { rows, counts } = flattened(requestCsatFlattener(envelopeMessage(webhook({ feedbacks }))));
    expect(rows.map(({ rater, rating }) => ({ rater, rating }))).toEqual([{ rater: null, rating: null }]);
    expect(rows[0]!.comment === feedbacks && rows[0]!.feedback_html === feedbacks).toBe(true);
    expect(counts).toEqual({ unreadable_csat: 1 });
  });

  it('keeps the HTML of an unreadable entry and counts it', () => {
    const { rows, counts } = flattened(
      requestCsatFlattener(envelopeMessage(webhook({ feedbacks: '<p>ana gave 5</p><p>???</p>' }))),
    );
    expect(rows[1]).toMatchObject({ rating: null, feedback_html: '<p>???</p>' });
    expect(counts).toEqual({ unreadable_csat: 1 });
  });
});
