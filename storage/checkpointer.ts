// The node's periodic checkpoint (every streamingHAPurgeInterval seconds), as seed 003 describes:
// make each group's state durable in the state store at an LSN, record that LSN, and delete the
// write-ahead log the checkpoint makes unnecessary. On restart, log entries at or below a group's
// checkpoint LSN are skipped and the rest replayed.
//
// One run:
//   1. per group: note the applied LSN A with its term and membership (synchronously, so they agree);
//      the group's state writer then makes everything enqueued durable and records its LSN L >= A;
//   2. the host records a Raft snapshot at A whose data is the state store, and compacts behind it;
//   3. the host restates its stable state at the start of a fresh WAL segment;
//   4. the WAL deletes every segment before that one.

import { MultiRaftHost } from '../broker/host/multi_raft_host.js';
import { ConfState } from '../broker/raft/types.js';

/** What a group's state needs to offer a checkpoint (GroupStateWriter does). */
export interface CheckpointedState {
  /** The highest LSN handed to the writer. The state machine hands over every applied LSN, even one with no ops. */
  readonly enqueuedLsn: number;
  /** Makes everything enqueued durable and records it; resolves with the LSN it reflects. */
  checkpoint(term: number, confState: ConfState): Promise<number>;
}

export interface CheckpointWal {
  releaseBeforeCheckpoint(done: (error: Error | undefined, released: string[]) => void): void;
}

export interface CheckpointReport {
  /** Per group, the LSN of the Raft snapshot recorded (state is durable at least up to it). */
  snapshotLsns: Map<number, number>;
  /** Groups skipped this time, with why. */
  skipped: Array<{ group: number; reason: string }>;
  releasedSegments: string[];
}

export interface CheckpointerOptions {
  host: MultiRaftHost;
  wal: CheckpointWal;
  /** The state of a group hosted here; undefined for a group with no local state (a witness). */
  stateOf(group: number): CheckpointedState | undefined;
  /** Lets the host run a round now (the node's event loop normally does this). */
  pump(): void;
}

export class NodeCheckpointer {
  private running: Promise<CheckpointReport> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: CheckpointerOptions) {}

  /** One checkpoint; a call while one runs shares it. */
  runOnce(): Promise<CheckpointReport> {
    if (!this.running) this.running = this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Every `intervalSeconds` (streamingHAPurgeInterval); errors go to `onError` and the next run tries again. */
  start(intervalSeconds: number, onError: (error: unknown) => void): void {
    this.stop();
    this.timer = setInterval(() => void this.runOnce().catch(onError), intervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async run(): Promise<CheckpointReport> {
    const { host } = this.o;
    const report: CheckpointReport = { snapshotLsns: new Map(), skipped: [], releasedSegments: [] };
    for (const group of host.groupIds()) {
      const state = this.o.stateOf(group);
      const raft = host.group(group).raft;
      const applied = raft.raftLog.applied;
      if (!state) {
        report.skipped.push({ group, reason: 'no local state' });
        continue;
      }
      if (state.enqueuedLsn < applied) {
        report.skipped.push({ group, reason: `state writer at ${state.enqueuedLsn}, behind applied ${applied}` });
        continue;
      }
      const term = raft.raftLog.term(applied);
      if (term === undefined) {
        report.skipped.push({ group, reason: `term of applied LSN ${applied} unknown` });
        continue;
      }
      const confState = raft.confState();
      const durableLsn = await state.checkpoint(term, confState);
      if (durableLsn < applied || !host.groupIds().includes(group)) {
        report.skipped.push({ group, reason: `durable LSN ${durableLsn} for applied ${applied}` });
        continue;
      }
      host.noteDurableState(group, applied, confState);
      report.snapshotLsns.set(group, applied);
    }
    await new Promise<void>((resolve) => {
      host.checkpoint(() => resolve());
      this.o.pump();
    });
    report.releasedSegments = await new Promise<string[]>((resolve, reject) =>
      this.o.wal.releaseBeforeCheckpoint((error, released) => (error ? reject(error) : resolve(released))),
    );
    return report;
  }
}
