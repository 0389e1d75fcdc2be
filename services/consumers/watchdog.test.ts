import { afterEach, describe, expect, it, vi } from 'vitest';
import { StallClock, startWatchdog, type Observation } from './watchdog.js';

const ready = (name: string): Observation => ({ name, ready: true });
const notReady = (name: string, reason: string): Observation => ({ name, ready: false, reason });

describe('StallClock', () => {
  it('reports a consumer not ready for longer than the bound, with its first and latest reasons', () => {
    const clock = new StallClock(10_000);
    expect(clock.observe(0, [notReady('lake', 'no answer from Kafka for 7 s')])).toBeUndefined();
    expect(clock.observe(10_000, [notReady('lake', 'no answer from Kafka for 17 s')])).toBeUndefined();
    expect(clock.observe(10_001, [notReady('lake', 'the Kafka consumer crashed (x); restarting')])).toEqual({
      name: 'lake',
      reason: 'the Kafka consumer crashed (x); restarting',
      since: 'no answer from Kafka for 7 s',
      forMs: 10_001,
    });
  });

  it.each<[string, Observation[][]]>([
    [
      'a rebalance shorter than the bound, then ready (as when idle: heartbeats keep it ready)',
      [[notReady('lake', 'the group is rebalancing')], [ready('lake')], [ready('lake')]],
    ],
    [
      'not ready twice, with a moment of ready between',
      [[notReady('lake', 'starting')], [ready('lake')], [notReady('lake', 'the group is rebalancing')]],
    ],
    [
      'left out while paused on purpose (a rebuild switching), then not ready again',
      [[notReady('lake', 'starting')], [], [notReady('lake', 'starting')]],
    ],
  ])('does not count %s as one stall', (_, rounds) => {
    const clock = new StallClock(10_000);
    rounds.forEach((observed, i) => expect(clock.observe(i * 8_000, observed)).toBeUndefined());
  });

  it('keeps each consumer apart and names the longest stalled', () => {
    const clock = new StallClock(10_000);
    clock.observe(0, [notReady('lake', 'starting'), ready('bigquery')]);
    clock.observe(5_000, [notReady('lake', 'starting'), notReady('bigquery', 'the group is rebalancing')]);
    expect(clock.observe(12_000, [ready('lake'), notReady('bigquery', 'the group is rebalancing')])).toBeUndefined();
    expect(clock.observe(16_000, [notReady('lake', 'x'), notReady('bigquery', 'y')])).toMatchObject({
      name: 'bigquery',
      forMs: 11_000,
    });
  });
});

describe('startWatchdog', () => {
  afterEach(() => vi.useRealTimers());

  it('calls onStall once when a consumer stays not ready past the bound, and not after stop()', () => {
    vi.useFakeTimers();
    let observed: Observation[] = [ready('lake')];
    const onStall = vi.fn();
    const watchdog = startWatchdog({ stallMs: 10_000, everyMs: 1_000, observe: () => observed, onStall });
    vi.advanceTimersByTime(30_000);
    expect(onStall).not.toHaveBeenCalled();
    observed = [notReady('lake', 'no answer from Kafka for 7 s')];
    vi.advanceTimersByTime(10_000);
    expect(onStall).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2_000);
    expect(onStall).toHaveBeenCalledTimes(1);
    expect(onStall.mock.calls[0]![0]).toMatchObject({ name: 'lake', since: 'no answer from Kafka for 7 s' });
    vi.advanceTimersByTime(60_000);
    expect(onStall).toHaveBeenCalledTimes(1);
    watchdog.stop();

    const other = vi.fn();
    startWatchdog({ stallMs: 10_000, everyMs: 1_000, observe: () => observed, onStall: other }).stop();
    vi.advanceTimersByTime(60_000);
    expect(other).not.toHaveBeenCalled();
  });
});
