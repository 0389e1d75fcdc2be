import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectFresh } from './kafka.js';

/** A client whose connect settles when the test says. */
function fakeClient() {
  let settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  const client = {
    connect: vi.fn(() => new Promise<void>((resolve, reject) => (settle = { resolve, reject }))),
    disconnect: vi.fn(() => Promise.resolve()),
  };
  return { client, settle: () => settle! };
}

describe('connectFresh', () => {
  afterEach(() => vi.useRealTimers());

  it('returns the client once it connects, and keeps it connected', async () => {
    const { client, settle } = fakeClient();
    const connecting = connectFresh(() => client, 1_000);
    settle().resolve();
    await expect(connecting).resolves.toBe(client);
    expect(client.disconnect).not.toHaveBeenCalled();
  });

  it('disconnects a client that failed to connect and throws its error', async () => {
    const { client, settle } = fakeClient();
    const connecting = connectFresh(() => client, 1_000);
    settle().reject(new Error('Connection refused'));
    await expect(connecting).rejects.toThrow('Connection refused');
    expect(client.disconnect).toHaveBeenCalledTimes(1);
  });

  it('gives up on a connect that hangs at the deadline, and lets go of the client if it connects later', async () => {
    vi.useFakeTimers();
    const { client, settle } = fakeClient();
    const connecting = connectFresh(() => client, 15_000);
    const outcome = connecting.catch((err: Error) => err);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(await outcome).toEqual(new Error('Kafka did not answer within 15 s'));
    expect(client.disconnect).toHaveBeenCalledTimes(1);
    settle().resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(client.disconnect).toHaveBeenCalledTimes(2);
  });

  it('waits at most 5 s for a disconnect that hangs too', async () => {
    vi.useFakeTimers();
    const { client } = fakeClient();
    client.disconnect.mockImplementation(() => new Promise<void>(() => undefined));
    const outcome = connectFresh(() => client, 1_000).catch((err: Error) => err);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(await outcome).toEqual(new Error('Kafka did not answer within 1 s'));
  });
});
