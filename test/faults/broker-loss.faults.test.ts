// A three-node Kafka cluster (each node a broker and a controller, topics at three replicas with
// two in sync for a write) losing a node under webhooks at 20/s: first the leader of the busiest
// partition of the events topic, killed with SIGKILL and started again; once every partition has
// its three replicas in sync again, the active controller, likewise. The ingress answers every
// delivery 202 (from its spool while a publish waits for a new leader), and both sinks hold every
// accepted fact once. For each kill, the time from SIGKILL to the first produce acknowledged on
// the partition it affected is printed.
import { describe, expect, it } from 'vitest';
import { expectedCounts, expectNothingLost } from '../support/accounting.js';
import { usePipeline, type Pipeline } from '../support/pipeline.js';
import { highWatermarks, partitionStates, watermarkPasses } from '../support/partitions.js';
import { waitFor } from '../support/wait.js';
import { topics, type TopicDeclaration } from '../../schemas/topics.js';
import { createKafka, ensureTopics } from '../../services/shared/kafka.js';
import { quietLogger } from '../support/lake.js';
import type { ClusterNode } from '../../infra/kafka/cluster.js';

const events = topics.requestEvents.name;
const pipelineTopics = Object.values(topics).map((t) => t.name);

/** Waits until every partition of the pipeline's topics and of the group offsets has three replicas in sync. */
async function fullyReplicated(p: Pipeline): Promise<void> {
  await waitFor(
    'every partition to have its three replicas in sync',
    async () =>
      (await partitionStates(p.brokers, [...pipelineTopics, '__consumer_offsets']).catch(() => [])).every(
        (s) => s.isr.length === 3,
      ) || undefined,
    120_000,
    500,
  );
}

/**
 * Kills `node` with SIGKILL and measures, for the busiest of the events topic's partitions it led
 * (the busiest of all when it led none: a controller may lead no data), the time until a produce
 * on it is acknowledged again. Starts the node again and waits for full replication.
 */
async function killAndMeasure(p: Pipeline, node: ClusterNode, what: string): Promise<string> {
  const [states, highs] = await Promise.all([partitionStates(p.brokers, [events]), highWatermarks(p.brokers, events)]);
  const led = states.filter((s) => s.leader === node.id).map((s) => s.partition);
  const candidates = led.length > 0 ? led : states.map((s) => s.partition);
  const partition = candidates.sort((a, b) => highs.get(b)! - highs.get(a)!)[0]!;
  const from = highs.get(partition)!;
  const killedAt = Date.now();
  await node.kill();
  const ackedAt = await watermarkPasses(
    p.brokers.filter((b) => b !== node.broker),
    events,
    partition,
    from,
  );
  const restartedAt = Date.now();
  await node.start();
  await fullyReplicated(p);
  return (
    `${what} (node ${node.id}, ${led.length > 0 ? `leader of ${led.length} partitions` : 'leader of none'}): ` +
    `first produce acknowledged on ${events}[${partition}] ${ackedAt - killedAt} ms after SIGKILL; ` +
    `node back and every replica in sync ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after its restart`
  );
}

describe('a three-node Kafka cluster losing a node under load', () => {
  const pipeline = usePipeline('faults-broker-loss', { cluster: true });

  it('answers every delivery 202 and loses or repeats nothing across a lost leader and a lost controller', async () => {
    const p = pipeline();
    const cluster = p.kafkaCluster;
    // The topics were created without a replication factor: the cluster's three copies apply.
    const states = await partitionStates(p.brokers, pipelineTopics);
    expect(states.every((s) => s.replicas.length === 3 && s.isr.length === 3)).toBe(true);

    const load = p.load(20);
    load.start();
    await p.everyConsumerCommits();

    const leader = await killAndMeasure(
      p,
      await (async () => {
        const highs = await highWatermarks(p.brokers, events);
        const busiest = [...highs].sort((a, b) => b[1] - a[1])[0]![0];
        const led = (await partitionStates(p.brokers, [events])).find((s) => s.partition === busiest)!.leader;
        return cluster.nodes.find((n) => n.id === led)!;
      })(),
      'leader of the busiest partition killed',
    );
    await p.everyConsumerCommits();

    const controllerId = cluster.activeController();
    expect(controllerId).toBeDefined();
    const controller = await killAndMeasure(
      p,
      cluster.nodes.find((n) => n.id === controllerId)!,
      'active controller killed',
    );
    // Traffic goes on until every consumer has committed in both sinks since the cluster was whole.
    await p.everyConsumerCommits();
    await load.stop();

    // Every delivery answered at once: 202, or 400 for the invalid bodies the load sends on purpose.
    expect([...load.answers.keys()].sort()).toEqual(['202', '400']);
    expect(load.retries).toBe(0);
    const { lake } = await expectNothingLost(p, load);
    // The consumers rode the failovers out: none exited.
    expect(p.crashes()).toEqual({});
    console.log(
      `broker loss: ${leader}; ${controller}; ${load.summary()}; facts per view ${JSON.stringify(expectedCounts(lake))}`,
    );
  });

  it('warns when a topic has one replica on this cluster of three', async () => {
    const p = pipeline();
    const kafka = createKafka({ clientId: 'replication-test', brokers: p.brokers, logger: quietLogger });
    const lone: TopicDeclaration = { name: 'one-copy', partitions: 1, description: 'one copy', config: {} };
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: lone.name, replicationFactor: 1 }] });
    await admin.disconnect();

    const { warnings } = await ensureTopics(kafka, [topics.requestEvents, lone]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^topic one-copy has 1 replica on a cluster of 3 brokers: .*default\.replication\.factor=3/,
    );
  });
});
