import { describe, expect, it } from 'vitest';
import { envelopeMessage, seedMessage, seedEventId, seedUpdatedAt, columnsOf } from '../../test/fixtures/envelopes.js';
import { webhook } from '../../test/fixtures/webhooks.js';
import { flattened } from '../../test/support/flatten.js';
import { requestAssignmentsFlattener } from './flatten.js';
import { requestAssignments } from './table.js';

describe('request_assignments', () => {
  it('flattens the seed sample’s assignee', () => {
    const { rows } = flattened(requestAssignmentsFlattener(seedMessage));
    expect(rows.map((r) => Object.keys(r).sort())).toEqual([columnsOf(requestAssignments)]);
    expect(rows[0]).toEqual({
      workspace: 'default',
      event_id: seedEventId,
      request_id: '42',
      event_time: seedUpdatedAt,
      status: 'ASSIGNED',
      assigned_to_id: 'DOLOR11121',
      assigned_to_name: 'assigned.to_name',
      assigned_by_id: 'IPSUM67890',
      assigned_by_name: 'lorem.ipsum_assigner',
      truncated_columns: [],
    });
  });

  it.each([[undefined], [null], [{}], [{ email: 'x@example.com' }], ['DOLOR11121']])(
    'yields no row when assignedTo is %j',
    (assignedTo) => {
      expect(flattened(requestAssignmentsFlattener(envelopeMessage(webhook({ assignedTo })))).rows).toEqual([]);
    },
  );

  it('keeps an assignee without an assigner', () => {
    expect(
      flattened(requestAssignmentsFlattener(envelopeMessage(webhook({ assignedBy: undefined })))).rows[0],
    ).toMatchObject({
      assigned_by_id: null,
      assigned_to_id: 'DOLOR11121',
    });
  });
});
