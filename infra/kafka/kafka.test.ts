import { describe, expect, it } from 'vitest';
import { newClusterId, serverProperties } from './kafka.js';

describe('newClusterId', () => {
  it('draws 22-character URL-safe ids of 16 bytes that never start with "-"', () => {
    // A base64url id starts with '-' one time in 64: 20,000 draws would hold about 310 of them.
    const ids = Array.from({ length: 20_000 }, newClusterId);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('serverProperties', () => {
  const lines = (text: string) => new Set(text.split('\n'));

  it('a single node: node 1, its own quorum, one copy of the internal topics', () => {
    const p = lines(serverProperties({ dataDir: '/d', port: 9092, controllerPort: 9093 }));
    expect(p).toContain('node.id=1');
    expect(p).toContain('controller.quorum.voters=1@127.0.0.1:9093');
    expect(p).toContain('offsets.topic.replication.factor=1');
    expect([...p].some((l) => l.startsWith('default.replication.factor'))).toBe(false);
  });

  it('a node of three: the quorum of all three, three copies, two in sync for a write', () => {
    const p = lines(
      serverProperties({
        dataDir: '/d',
        port: 9192,
        controllerPort: 9193,
        cluster: { nodeId: 2, clusterId: 'x', controllerPorts: [9093, 9193, 9293] },
      }),
    );
    expect(p).toContain('node.id=2');
    expect(p).toContain('controller.quorum.voters=1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293');
    for (const line of [
      'default.replication.factor=3',
      'min.insync.replicas=2',
      'offsets.topic.replication.factor=3',
      'transaction.state.log.min.isr=2',
    ]) {
      expect(p).toContain(line);
    }
  });
});
