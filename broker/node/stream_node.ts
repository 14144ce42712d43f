// The Raft side of a data node: one write-ahead log, one state store and one multi-Raft host for
// every group the node belongs to, each group's state machine a StreamGroup. It drives the host
// (ticks, rounds, WAL syncs, checkpoints), turns proposals into promises of their applied
// outcome, and tells listeners about role changes and new rows. Sockets are the caller's business:
// peer traffic comes in through receive() and goes out through options.sendPeer.

import { mkdirSync } from 'node:fs';
import { MultiRaftHost, UnknownGroupError } from '../host/multi_raft_host.js';
import { PeerBatch } from '../host/peer_batch.js';
import { recoverNode } from '../host/wal_records.js';
import { NotLeaderError, ProposalDroppedError } from '../raft/errors.js';
import { RandomSource } from '../raft/random.js';
import { Status } from '../raft/raw_node.js';
import { MessageType, NONE, Role } from '../raft/types.js';
import { NodeCheckpointer } from '../../storage/checkpointer.js';
import { GroupStateWriter } from '../../storage/state/group_state_writer.js';
import { RocksStateStore } from '../../storage/state/rocks_state_store.js';
import { StateStore } from '../../storage/state/state_store.js';
import { NodeWalFiles } from '../../storage/wal/node_wal_files.js';
import { WalFlushObserver, WriteAheadLog } from '../../storage/wal/write_ahead_log.js';
import { StreamCommand, encodeCommand } from '../stream/commands.js';
import { loadStreamGroup } from '../stream/load_group.js';
import { ApplyResult, StreamGroup } from '../stream/stream_group.js';
import { AppendOutcome, StreamTable } from '../stream/stream_table.js';
import { GroupMembers } from './node_directory.js';
import { PendingProposals } from './pending_proposals.js';
import { ServiceError, notLeader } from './service_error.js';

export interface StreamNodeOptions {
  nodeId: number;
  /** Every group this node is a member of, with its initial members. */
  groups: GroupMembers[];
  walDir: string;
  stateDir: string;
  dataSync: boolean;
  tickMs: number;
  electionTick: number;
  heartbeatTick: number;
  /** streamingHAPurgeInterval: seconds between checkpoints. */
  checkpointIntervalSeconds: number;
  proposalTimeoutMs: number;
  /** Per group, bytes of state changes waiting for the store before writes are refused with Busy. */
  maxWriterQueueBytes: number;
  /** Entries kept in the log behind a checkpoint, so a follower a little behind needs no snapshot. */
  compactionMarginEntries: number;
  /** ... and at most this many bytes. */
  compactionMarginBytes: number;
  /** A checkpoint starts early when the Raft logs hold more than this in memory (bounds RSS under heavy writes). */
  checkpointLogBytes: number;
  random: RandomSource;
  nowMs(): number;
  /** `host:port:alias` of a node id, for NotLeader answers; undefined when unknown. */
  siteOf(nodeId: number): string | undefined;
  sendPeer(batch: PeerBatch): void;
  /** The WAL or the store failed: the process must stop and recover from disk. */
  onFatal(error: Error): void;
  log(line: string): void;
}

export interface StreamNodeListener {
  roleChanged?(group: number, role: Role, term: number, lead: number): void;
  rowsAppended?(group: number, table: StreamTable, outcome: AppendOutcome): void;
  tableDropped?(group: number, table: string): void;
  // For metrics: events no state holds afterwards.
  electionStarted?(group: number, term: number): void;
  /** Every applied append on this replica, also those that wrote nothing (all keys seen, or a producer's repeat). */
  appendApplied?(group: number, table: string, outcome: AppendOutcome): void;
  /** A Raft snapshot for follower `to` was sent, or held back (a state store cannot be streamed yet). */
  snapshotTransfer?(group: number, to: number, outcome: 'sent' | 'withheld'): void;
}

/** How often retention purges run; rows live at most retentionMinutes plus this. */
const RETENTION_PURGE_INTERVAL_MS = 60_000;
/** After a failed early checkpoint (the Raft logs over checkpointLogBytes), the next try waits this long. */
const EARLY_CHECKPOINT_RETRY_MS = 5_000;

export class StreamNode {
  readonly listeners: StreamNodeListener[] = [];
  private readonly groups = new Map<number, StreamGroup>();
  private readonly pending: PendingProposals;
  private host!: MultiRaftHost;
  private checkpointer!: NodeCheckpointer;
  private ticker: NodeJS.Timeout | undefined;
  private processScheduled = false;
  private stopped = false;
  private snapshotsWithheld = 0;
  private readonly withheldFrom = new Set<string>(); // group/peer pairs already logged
  private lastPurgeMs = 0;
  private earlyCheckpointNotBeforeMs = 0; // set after a failed early checkpoint, so a bad disk is not retried every tick

  private constructor(
    private readonly o: StreamNodeOptions,
    private readonly wal: WriteAheadLog,
    private readonly store: StateStore,
  ) {
    this.pending = new PendingProposals(o.proposalTimeoutMs);
  }

  static async open(o: StreamNodeOptions): Promise<StreamNode> {
    mkdirSync(o.walDir, { recursive: true });
    mkdirSync(o.stateDir, { recursive: true });
    // The host is the log's only writer and holds its next round until this sync completes, so the
    // round already is the group commit: start the disk write at once rather than a turn later.
    const { wal, recovery } = WriteAheadLog.open({ files: new NodeWalFiles(o.walDir), dataSync: o.dataSync, defer: (run) => run() });
    if (recovery.tornTail) o.log(`write-ahead log: cut a torn tail (${JSON.stringify(recovery.tornTail)})`);
    const recovered = recoverNode(recovery.records);
    const store = await RocksStateStore.open(o.stateDir);
    const node = new StreamNode(o, wal, store);
    const ids = new Set([...recovered.groups.keys(), ...o.groups.map((g) => g.id)]);
    for (const id of ids) if (!recovered.tombstones.has(id) || recovered.groups.has(id)) await node.loadGroup(id);
    node.start(recovered);
    return node;
  }

  private async loadGroup(id: number): Promise<void> {
    const loaded = await loadStreamGroup(this.store, id);
    const writer = new GroupStateWriter(this.store, {
      group: id, maxQueuedBytes: this.o.maxWriterQueueBytes, startLsn: loaded.appliedLsn,
      onWriteError: (err) => this.fatal(err),
    });
    this.groups.set(id, new StreamGroup(id, this.store, writer, loaded, {
      applied: (group, lsn, term, result) => this.pending.applied(group, lsn, term, result),
      rowsAppended: (group, table, outcome) => { for (const l of this.listeners) l.rowsAppended?.(group, table, outcome); },
      appendApplied: (group, table, outcome) => { for (const l of this.listeners) l.appendApplied?.(group, table, outcome); },
      tableDropped: (group, table) => { for (const l of this.listeners) l.tableDropped?.(group, table); },
      listenerFailed: (group, error) => this.o.log(`raft group ${group}: a listener of applied changes failed: ${String(error)}`),
    }));
  }

  private start(recovered: ReturnType<typeof recoverNode>): void {
    const o = this.o;
    this.host = new MultiRaftHost({
      nodeId: o.nodeId, electionTick: o.electionTick, heartbeatTick: o.heartbeatTick, random: o.random,
      compactionMarginEntries: o.compactionMarginEntries, compactionMarginBytes: o.compactionMarginBytes,
      wal: {
        append: (records) => this.wal.append(records),
        sync: (done) => this.wal.sync((error) => { done(error); this.afterRound(); }),
        beginCheckpoint: () => this.wal.beginCheckpoint(),
      },
      transport: { send: (batch) => o.sendPeer(this.withoutStoreSnapshots(batch)) },
      newStateMachine: (group) => {
        const g = this.groups.get(group);
        if (!g) throw new UnknownGroupError(group);
        return g;
      },
      events: {
        roleChanged: (group, role, term, lead) => { for (const l of this.listeners) l.roleChanged?.(group, role, term, lead); },
        electionStarted: (group, term) => { for (const l of this.listeners) l.electionStarted?.(group, term); },
        applied: (group, entry) => {
          // Entries the state machine never saw (a new leader's empty entry, membership changes,
          // anything a witness skips) still move the writer's LSN, so checkpoints can cover them;
          // for the ones it applied, skipTo and pending.applied find nothing left to do.
          this.groups.get(group)?.skipTo(entry.index);
          this.pending.applied(group, entry.index, entry.term, undefined);
        },
      },
    }, recovered);
    for (const g of o.groups) {
      if (this.host.hasGroup(g.id)) continue;
      if (recovered.tombstones.has(g.id)) continue; // this node left that group; never rejoin by itself
      this.host.createGroup(g.id, { voters: g.members, learners: [], witnesses: [] });
    }
    // A group of one (the node's own regular tables) needs no election timeout to find its leader.
    for (const id of this.host.groupIds()) {
      const cs = this.host.group(id).raft.confState();
      if (cs.voters.length === 1 && cs.voters[0] === o.nodeId) this.host.campaign(id);
    }
    this.checkpointer = new NodeCheckpointer({
      host: this.host, wal: this.wal, stateOf: (group) => this.groups.get(group)?.writer, pump: () => this.kick(),
    });
    this.checkpointer.start(o.checkpointIntervalSeconds, (error) => o.log(`checkpoint failed: ${String(error)}`));
    this.ticker = setInterval(() => this.tick(), o.tickMs);
    this.kick();
  }

  // ---- inputs ---------------------------------------------------------------------------------

  receive(batch: PeerBatch): void {
    if (this.stopped) return;
    this.host.receive(batch);
    this.kick();
  }

  /** Proposes `command` to `group` and resolves with its applied outcome. Only the leader accepts. */
  async propose(group: number, command: StreamCommand): Promise<ApplyResult> {
    if (this.stopped) throw new ServiceError('Unavailable', 'the node is stopping');
    const g = this.groups.get(group);
    if (!g || !this.host.hasGroup(group)) throw new ServiceError('UnknownGroup', `raft group ${group} is not hosted on this node`);
    if (g.writer.overLimit) throw new ServiceError('Busy', `raft group ${group}: ${g.writer.queuedBytes} bytes of state wait for the store (limit ${this.o.maxWriterQueueBytes}); retry shortly`);
    let lsn: number;
    try {
      lsn = this.host.propose(group, encodeCommand(command));
    } catch (err) {
      if (err instanceof NotLeaderError) throw notLeader(this.o.siteOf(this.leaderId(group)));
      if (err instanceof ProposalDroppedError) throw new ServiceError('Busy', err.message);
      throw err;
    }
    const term = this.host.group(group).raft.term;
    const outcome = this.pending.wait(group, lsn, term, this.o.nowMs());
    this.kick();
    return outcome;
  }

  transferLeader(group: number, to: number): void {
    this.host.transferLeader(group, to);
    this.kick();
  }

  // ---- what the node knows --------------------------------------------------------------------

  hasGroup(group: number): boolean {
    return this.groups.has(group) && this.host.hasGroup(group);
  }

  groupIds(): number[] {
    return this.host.groupIds();
  }

  group(id: number): StreamGroup {
    const g = this.groups.get(id);
    if (!g || !this.hasGroup(id)) throw new ServiceError('UnknownGroup', `raft group ${id} is not hosted on this node`);
    return g;
  }

  /** The leader this node knows of, or NONE (0). */
  leaderId(group: number): number {
    return this.hasGroup(group) ? this.host.group(group).raft.lead : NONE;
  }

  isLeader(group: number): boolean {
    return this.hasGroup(group) && this.host.group(group).raft.role === Role.Leader;
  }

  /** Raft's view of the group: role, term, commit and applied LSNs, followers' progress. */
  status(group: number): Status {
    return this.host.group(group).status();
  }

  membersOf(group: number): number[] {
    const cs = this.host.group(group).raft.confState();
    return [...cs.voters, ...cs.learners, ...cs.witnesses].sort((a, b) => a - b);
  }

  stats(): { rounds: number; syncs: number; pendingProposals: number; snapshotsWithheld: number } {
    return { rounds: this.host.stats.rounds, syncs: this.host.stats.syncs, pendingProposals: this.pending.count(), snapshotsWithheld: this.snapshotsWithheld };
  }

  /** Bytes of Raft log entries held in memory, over every group (bounded by checkpointLogBytes). */
  raftLogBytesHeld(): number {
    return this.host.logBytesHeld();
  }

  /** Metrics: watches the WAL's flushes (one observer). */
  observeWal(observer: WalFlushObserver): void {
    this.wal.observer = observer;
  }

  checkpointNow(): Promise<unknown> {
    return this.checkpointer.runOnce();
  }

  /**
   * A follower too far behind gets a Raft snapshot whose data is the state store (empty bytes).
   * Streaming a store to a follower is not built yet: sending the empty snapshot would make it
   * skip rows, so the message is held back and reported failed; the follower stays behind (and
   * says so in the stats) until an operator replaces its data. The log keeps
   * compactionMarginEntries behind each checkpoint so that this needs a long outage.
   */
  private withoutStoreSnapshots(batch: PeerBatch): PeerBatch {
    if (!batch.messages.some((m) => m.message.type === MessageType.Snap)) return batch;
    const messages = batch.messages.filter(({ group, message }) => {
      if (message.type !== MessageType.Snap) return true;
      const withheld = (message.snapshot?.data.byteLength ?? 0) === 0;
      for (const l of this.listeners) l.snapshotTransfer?.(group, batch.to, withheld ? 'withheld' : 'sent');
      if (!withheld) return true;
      this.snapshotsWithheld++;
      // Raft retries every heartbeat: say it once per follower, count the rest.
      const key = `${group}/${batch.to}`;
      if (!this.withheldFrom.has(key)) {
        this.withheldFrom.add(key);
        this.o.log(`raft group ${group}: node ${batch.to} needs a snapshot of the state store, which cannot be streamed yet; it stays behind`);
      }
      setImmediate(() => { if (this.hasGroup(group)) this.host.group(group).reportSnapshot(batch.to, false); });
      return false;
    });
    return { ...batch, messages };
  }

  // ---- the loop -------------------------------------------------------------------------------

  private tick(): void {
    if (this.stopped) return;
    this.host.tick();
    const now = this.o.nowMs();
    this.pending.expire(now);
    for (const g of this.groups.values()) g.markWritten(g.writer.writtenLsn);
    if (this.host.logBytesHeld() > this.o.checkpointLogBytes && now >= this.earlyCheckpointNotBeforeMs) {
      // runOnce shares a checkpoint already running; after a failure, wait before the next try
      this.checkpointer.runOnce().catch((err: unknown) => {
        this.earlyCheckpointNotBeforeMs = this.o.nowMs() + EARLY_CHECKPOINT_RETRY_MS;
        this.o.log(`checkpoint (log over ${this.o.checkpointLogBytes} bytes) failed, next try in ${EARLY_CHECKPOINT_RETRY_MS} ms: ${String(err)}`);
      });
    }
    if (now - this.lastPurgeMs >= RETENTION_PURGE_INTERVAL_MS) {
      this.lastPurgeMs = now;
      this.purgeExpiredRows(now);
    }
    this.kick();
  }

  /** retentionMinutes: each replica deletes its own rows older than that (purges are not replicated). */
  private purgeExpiredRows(nowMs: number): void {
    for (const [id, g] of this.groups) {
      for (const t of g.tables.values()) {
        t.rows.purgeExpired(nowMs).catch((err: unknown) => this.o.log(`raft group ${id}: purging old rows of ${t.name} failed: ${String(err)}`));
      }
    }
  }

  /** Runs a round on the next turn, so the messages and proposals of this turn share it. */
  private kick(): void {
    if (this.processScheduled || this.stopped) return;
    this.processScheduled = true;
    setImmediate(() => {
      this.processScheduled = false;
      if (this.stopped) return;
      while (this.host.process()) { /* a round that needed no sync completed at once: take the next */ }
      this.checkFailed();
    });
  }

  private afterRound(): void {
    this.checkFailed();
    this.kick();
  }

  private checkFailed(): void {
    if (this.host.failed) this.fatal(this.host.failed);
  }

  private fatal(error: Error): void {
    if (this.stopped) return;
    this.o.onFatal(error);
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.checkpointer.stop();
    this.pending.failAll(undefined, new ServiceError('Unavailable', 'the node is stopping; retry on another member of the group'));
    for (const g of this.groups.values()) await g.writer.close().catch(() => undefined);
    await new Promise<void>((resolve) => this.wal.close(() => resolve()));
    await this.store.close();
  }
}

