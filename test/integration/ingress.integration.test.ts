// The ingress against a real broker: what it acknowledges is on the topic in the contract's
// envelope, identical bodies share an id, rejected bodies are dead-lettered, and a broker outage
// turns into 503s within the deadline, then into 202s again without a restart.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestKafka } from '../support/broker.js';
import { localDir } from '../../infra/local/paths.js';
import { topics } from '../../schemas/topics.js';
import { ownBrokerPorts } from '../support/global-setup.js';
import { startIngress, type RunningIngress } from '../support/ingress.js';
import { TopicReader } from '../support/topic-reader.js';
import { waitFor } from '../support/wait.js';
import { webhook } from '../fixtures/webhooks.js';

const uniqueRequestId = () => String(Math.floor(Math.random() * 1e12));

describe('ingress on the shared broker', () => {
  let ingress: RunningIngress;
  let events: TopicReader;
  let dlq: TopicReader;
  beforeAll(async () => {
    const brokers = inject('kafkaBrokers');
    ingress = await startIngress(brokers);
    [events, dlq] = await Promise.all([
      TopicReader.start(brokers, topics.requestEvents.name),
      TopicReader.start(brokers, topics.deadLetter.name),
    ]);
    await waitFor('ingress ready', async () => (await ingress.get('/readyz')).status === 200);
  });
  afterAll(async () => {
    await Promise.allSettled([ingress?.close(), events?.stop(), dlq?.stop()]);
  });

  it('puts each accepted event on the topic in the envelope, keyed by request_id, before answering 202', async () => {
    const requestId = uniqueRequestId();
    const body = JSON.stringify(webhook({ requestId: Number(requestId) }, 'CREATE'));
    const res = await ingress.post(body);
    expect(res.status).toBe(202);
    const [message] = await events.waitFor('the event', (m) => m.key === requestId);
    const envelope = JSON.parse(message!.value);
    expect(envelope).toMatchObject({
      schema: 'thena.request-event.v1',
      eventId: res.json.eventId,
      action: 'CREATE',
      requestId,
      payload: JSON.parse(body),
    });
  });

  it('gives identical bodies identical ids (and both deliveries reach the topic)', async () => {
    const requestId = uniqueRequestId();
    const body = JSON.stringify(webhook({ requestId }));
    const [a, b] = [await ingress.post(body), await ingress.post(body)];
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.json.eventId).toBe(a.json.eventId);
    const copies = await events.waitFor('both deliveries', (m) => m.key === requestId, 2);
    expect(new Set(copies.map((m) => JSON.parse(m.value).eventId))).toEqual(new Set([a.json.eventId]));
  });

  it('keeps the events of one request in order on one partition under concurrent load', async () => {
    const requestId = uniqueRequestId();
    const statuses = ['NEW', 'ASSIGNED', 'IN_PROGRESS', 'ON_HOLD', 'RESOLVED', 'CLOSED'];
    // Sequential per request (as Thena sends), with other traffic interleaved concurrently.
    const noise = Array.from({ length: 50 }, () =>
      ingress.post(JSON.stringify(webhook({ requestId: uniqueRequestId() }))),
    );
    for (const status of statuses)
      expect((await ingress.post(JSON.stringify(webhook({ requestId, status })))).status).toBe(202);
    await Promise.all(noise);
    const got = await events.waitFor('six events', (m) => m.key === requestId, statuses.length);
    expect(got.map((m) => JSON.parse(m.value).payload.request.status)).toEqual(statuses);
    expect(new Set(got.map((m) => m.partition)).size).toBe(1);
  });

  it('dead-letters a 400 with its raw body, reason and time', async () => {
    const marker = uniqueRequestId();
    const body = `{"action":"UPDATE","request":{"note":"${marker}"}}`;
    const res = await ingress.post(body);
    expect(res.status).toBe(400);
    const [record] = await dlq.waitFor('the dead letter', (m) => m.value.includes(marker));
    const parsed = JSON.parse(record!.value);
    expect(parsed).toMatchObject({ source: 'ingress', reason: 'missing_or_invalid_keys', rawBody: body });
    expect(Date.now() - Date.parse(parsed.receivedAt)).toBeLessThan(60_000);
    expect(record!.headers['x-dlq-reason']).toBe('missing_or_invalid_keys');
  });
});

describe('ingress through a broker outage', () => {
  it('answers 503 within the deadline while the broker is down, and 202 again once it is back', async () => {
    const dataDir = join(localDir, 'test', 'kafka-outage');
    const ports = ownBrokerPorts.ingress;
    let broker = await startTestKafka({ dataDir, ...ports, fresh: true });
    const ingress = await startIngress(broker.brokers, { INGRESS_PUBLISH_TIMEOUT_MS: '2000' });
    try {
      await waitFor('ready', async () => (await ingress.get('/readyz')).status === 200);
      const before = uniqueRequestId();
      expect((await ingress.post(JSON.stringify(webhook({ requestId: before })))).status).toBe(202);

      await broker.stop();
      const started = Date.now();
      const during = await ingress.post(JSON.stringify(webhook({ requestId: uniqueRequestId() })));
      const elapsed = Date.now() - started;
      expect(during.status).toBe(503);
      expect(during.headers.get('retry-after')).toBe('5');
      expect(elapsed).toBeLessThan(2000 + 1000);
      await waitFor('not ready', async () => (await ingress.get('/readyz')).status === 503, 10_000);

      broker = await startTestKafka({ dataDir, ...ports });
      await waitFor('ready again', async () => (await ingress.get('/readyz')).status === 200, 60_000);
      const after = uniqueRequestId();
      // The producer reconnects by itself; allow it a few attempts as Thena's retries would.
      await waitFor(
        'a 202 after the outage',
        async () => (await ingress.post(JSON.stringify(webhook({ requestId: after })))).status === 202,
        60_000,
        500,
      );

      const reader = await TopicReader.start(broker.brokers, topics.requestEvents.name);
      try {
        const keys = (
          await reader.waitFor('events from before and after', (m) => m.key === before || m.key === after, 2)
        ).map((m) => m.key);
        expect(keys).toContain(before);
        expect(keys).toContain(after);
      } finally {
        await reader.stop();
      }
    } finally {
      await ingress.close();
      await broker.stop();
    }
  });
});
