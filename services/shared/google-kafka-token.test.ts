import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { googleKafkaToken, oauthBearerProvider, type AccessToken } from './google-kafka-token.js';

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe("Google managed Kafka's OAUTHBEARER token", () => {
  const now = Date.parse('2026-12-03T12:00:00.400Z');
  const token: AccessToken = {
    token: 'ya29.a0Af-access_token+/=',
    expiresAtMs: Date.parse('2026-12-03T13:00:00.900Z'),
    principal: 'thena-lake@my-project.iam.gserviceaccount.com',
  };

  it('wraps the access token as Google expects: a JWT-shaped header, claims and the token, unpadded base64url', () => {
    const value = googleKafkaToken(token, now);
    const parts = value.split('.');
    expect(parts).toHaveLength(3);
    for (const part of parts) expect(part).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decode(parts[0]!)).toEqual({ typ: 'JWT', alg: 'GOOG_OAUTH2_TOKEN' });
    expect(decode(parts[1]!)).toEqual({
      exp: Math.floor(token.expiresAtMs / 1000),
      iat: Math.floor(now / 1000),
      scope: 'kafka',
      sub: 'thena-lake@my-project.iam.gserviceaccount.com',
    });
    expect(Buffer.from(parts[2]!, 'base64url').toString('utf8')).toBe(token.token);
  });

  describe('fetching ahead', () => {
    beforeEach(() => {
      vi.useFakeTimers();
      vi.setSystemTime(now);
    });
    afterEach(() => vi.useRealTimers());

    it("fetches the next token once 40 % of the current one's life has passed, and sends the newest", async () => {
      let asked = 0;
      const provider = oauthBearerProvider(async () => ({
        ...token,
        token: `t${++asked}`,
        expiresAtMs: Date.now() + 10_000,
      }));
      const first = (await provider()).value;
      await vi.advanceTimersByTimeAsync(3_000);
      expect((await provider()).value).toBe(first);
      expect(asked).toBe(1);
      await vi.advanceTimersByTimeAsync(1_100); // 40 % of 10 s passed
      expect(asked).toBe(2);
      const second = (await provider()).value;
      expect(Buffer.from(second.split('.')[2]!, 'base64url').toString()).toBe('t2');
    });

    it('sends the token in hand while a fetch fails and it has 5 s left, then fails with the fetch', async () => {
      let fail = false;
      const failed: unknown[] = [];
      const provider = oauthBearerProvider(
        async () => {
          if (fail) throw new Error('metadata server unreachable');
          return { ...token, expiresAtMs: Date.now() + 10_000 };
        },
        googleKafkaToken,
        Date.now,
        (err) => failed.push(err),
      );
      const first = (await provider()).value;
      fail = true;
      await vi.advanceTimersByTimeAsync(4_100); // the fetch ahead fails
      expect(failed).toHaveLength(1);
      expect((await provider()).value).toBe(first);
      await vi.advanceTimersByTimeAsync(1_000); // and is tried again a second later
      expect(failed).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(100); // 4.8 s left: a call waits for a fetch, and fails with it
      await expect(provider()).rejects.toThrow('metadata server unreachable');
      fail = false;
      expect((await provider()).value).not.toBe(first);
    });
  });

  it('refuses a token that has already expired, suspecting the clock, and passes on a source that fails', async () => {
    const expired = oauthBearerProvider(
      async () => ({ ...token, expiresAtMs: now - 1 }),
      googleKafkaToken,
      () => now,
    );
    await expect(expired()).rejects.toThrow(
      /^KAFKA_SASL_MECHANISM=oauthbearer: the access token for thena-lake@my-project\.iam\.gserviceaccount\.com had already expired .*is this machine's clock right\?$/,
    );
    const failing = oauthBearerProvider(async () => {
      throw new Error('metadata server unreachable');
    });
    await expect(failing()).rejects.toThrow('metadata server unreachable');
  });
});
