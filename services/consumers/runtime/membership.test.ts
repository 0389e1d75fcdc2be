// What a member knows of itself from kafkajs's events: a crash kafkajs restarts from leaves the
// consumer usable; one it does not restart from is reported once and leaves nothing to pause.
import { EventEmitter } from 'node:events';
import { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { GroupMembership } from './membership.js';

/** kafkajs's own event names on an emitter: the events are all the membership reads. */
function eventsOnly() {
  const { events } = new Kafka({ brokers: ['127.0.0.1:1'] }).consumer({ groupId: 'g' });
  const emitter = new EventEmitter();
  return { events, on: emitter.on.bind(emitter), emit: emitter.emit.bind(emitter) };
}

describe('GroupMembership', () => {
  it('is given up, and says so once, only after a crash kafkajs does not restart from', () => {
    const consumer = eventsOnly();
    const stopped: Error[] = [];
    const group = new GroupMembership(consumer as never, 6_000, {
      joined: () => undefined,
      stoppedForGood: (err) => stopped.push(err),
    });
    consumer.emit(consumer.events.CRASH, { payload: { error: new Error('Connection timeout'), restart: true } });
    expect(group.givenUp).toBe(false);
    expect(stopped).toEqual([]);
    const error = new Error('Failed to find group coordinator');
    consumer.emit(consumer.events.CRASH, { payload: { error, restart: false } });
    expect(group.givenUp).toBe(true);
    expect(stopped).toEqual([error]);
    expect(group.readiness()).toMatchObject({ ready: false });
  });

  it('lets nothing started before a crash kafkajs restarts from commit, and writes nothing until the join', () => {
    const consumer = eventsOnly();
    const group = new GroupMembership(consumer as never, 6_000, {
      joined: () => undefined,
      stoppedForGood: () => undefined,
    });
    consumer.emit(consumer.events.GROUP_JOIN, { payload: { memberAssignment: {} } });
    const before = group.generation;
    expect(group.rebalancing).toBe(false);
    consumer.emit(consumer.events.CRASH, { payload: { error: new Error('Not coordinator for group'), restart: true } });
    expect(group.generation).toBeGreaterThan(before);
    expect(group.rebalancing).toBe(true);
    consumer.emit(consumer.events.GROUP_JOIN, { payload: { memberAssignment: {} } });
    expect(group.rebalancing).toBe(false);
  });
});
