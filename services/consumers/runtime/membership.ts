// A consumer's membership of its group, as the runtime needs to know it: the generation (which
// moves at JoinGroup's answer, see below), whether it is rebalancing, joined, crashed, and when the
// broker last answered. Readiness is read off it.
import type { Consumer } from 'kafkajs';

export interface Readiness {
  ready: boolean;
  /** Why not, when not ready. */
  reason?: string;
}

export class GroupMembership {
  /** Moves at every JoinGroup answer and every join: work started in an older one may not commit. */
  generation = 0;
  rebalancing = false;
  stopping = false;
  /** kafkajs gave its consumer up after a crash: it has no group left (nothing to pause or fetch). */
  givenUp = false;
  private joined = false;
  private crashed: string | undefined;
  /** When the broker last answered this member (a join, a heartbeat or a fetch). */
  private heardAt = 0;

  constructor(
    consumer: Consumer,
    private readonly sessionTimeoutMs: number,
    on: {
      /** Partitions were assigned (a new generation): what was not committed must go. */
      joined: (assignment: unknown) => void;
      /** kafkajs's consumer crashed and will not restart by itself. */
      stoppedForGood: (err: Error) => void;
    },
  ) {
    const { events } = consumer;
    const heard = () => (this.heardAt = Date.now());
    consumer.on(events.HEARTBEAT, heard);
    consumer.on(events.FETCH, heard);
    consumer.on(events.REBALANCING, () => (this.rebalancing = true));
    // JoinGroup's answer gives kafkajs the next generation, which its commits carry from then on,
    // while GROUP_JOIN comes only after SyncGroup. The coordinator checks a commit's generation,
    // not who owns the partition: a write started before the answer and committed after it would
    // be accepted for a partition that may now be another member's. From the answer on, nothing
    // started before it may commit or claim.
    consumer.on(events.REQUEST, ({ payload }) => {
      if (payload.apiName !== 'JoinGroup') return;
      this.generation++;
      this.rebalancing = true;
    });
    consumer.on(events.CRASH, ({ payload }) => {
      this.crashed = payload.error.message;
      this.joined = false;
      // kafkajs restarts the consumer after a failure it deems retriable; after any other (such as
      // "Failed to find group coordinator" while Kafka is away) it stays stopped for good.
      if (!payload.restart) this.givenUp = true;
      // Restarted, it joins the group again, and its partitions may go to another member: nothing
      // started before may commit, and nothing is written until the join (a coordinator lost with
      // its broker is found again only so: offsets.ts).
      else {
        this.generation++;
        this.rebalancing = true;
      }
      if (!payload.restart && !this.stopping) on.stoppedForGood(payload.error);
    });
    consumer.on(events.GROUP_JOIN, ({ payload }) => {
      this.generation++;
      this.rebalancing = false;
      this.joined = true;
      this.crashed = undefined;
      heard();
      on.joined(payload.memberAssignment);
    });
  }

  /**
   * Ready while a member of its group with its partitions assigned, heard from the broker within
   * the session timeout, and not stopping.
   */
  readiness(): Readiness {
    if (this.stopping) return { ready: false, reason: 'stopping' };
    if (this.crashed) return { ready: false, reason: `the Kafka consumer crashed (${this.crashed}); restarting` };
    if (!this.joined) return { ready: false, reason: 'not yet assigned partitions' };
    if (this.rebalancing) return { ready: false, reason: 'the group is rebalancing' };
    const silentMs = Date.now() - this.heardAt;
    if (silentMs > this.sessionTimeoutMs) {
      return { ready: false, reason: `no answer from Kafka for ${Math.round(silentMs / 1000)} s` };
    }
    return { ready: true };
  }
}
