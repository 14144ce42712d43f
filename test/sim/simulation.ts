// A seeded whole-cluster simulation: the real Raft core in the real multi-Raft host, on a fake
// clock, over a faulty network and faulty disks, with crashes, pauses, partitions, membership
// changes and leader transfers chosen from the seed. Then everything heals and every group must
// elect a leader and commit a new entry within a bounded simulated time. Same seed, same run.

import { MultiRaftHost } from '../../broker/host/multi_raft_host.js';
import { PeerBatch } from '../../broker/host/peer_batch.js';
import { recoverNode } from '../../broker/host/wal_records.js';
import { allMarks } from '../../broker/raft/marks.js';
import { SeededRandom } from '../../broker/raft/random.js';
import { ConfChange, ConfChangeType, ConfState, Role } from '../../broker/raft/types.js';
import { SafetyChecker } from './checker.js';
import { EventQueue } from './event_queue.js';
import { LogStateMachine } from './log_state_machine.js';
import { SimDisk } from './sim_disk.js';
import { CALM_NETWORK, SimNetwork } from './sim_network.js';

export interface SimOptions {
  seed: number;
  nodes: number; // 3..9
  groups: number; // 1..
  faultMs: number; // simulated time with faults
  convergeWithinMs: number; // after healing, the bound for every group to commit a new entry
  /** Fixed groups (id and voting node ids) instead of ones drawn from the seed, e.g. from streamingRaftGroups. */
  layout?: Array<{ id: number; voters: number[] }>;
}

export const DEFAULT_SIM: Omit<SimOptions, 'seed'> = { nodes: 5, groups: 3, faultMs: 8_000, convergeWithinMs: 20_000 };

export interface SimResult {
  seed: number;
  ok: boolean;
  violations: string[];
  simulatedMs: number;
  convergedAfterMs: number | undefined;
  counts: Record<string, number>;
  faults: Record<string, number>;
}

const TICK_MS = 10;
const ELECTION_TICK = 10;
const HEARTBEAT_TICK = 2;
const encoder = new TextEncoder();

interface SimNode {
  id: number;
  up: boolean;
  paused: boolean;
  inbox: PeerBatch[]; // batches that arrived while paused
  host: MultiRaftHost | undefined;
  disk: SimDisk;
}

export class Simulation {
  private readonly queue = new EventQueue();
  private readonly rng: SeededRandom;
  private readonly net: SimNetwork;
  private readonly nodes: SimNode[] = [];
  private readonly checker = new SafetyChecker();
  private readonly groupIds: number[] = [];
  private readonly enableWitnessToLeader: boolean;
  private proposalSeq = 0;
  private healed = false;
  private readonly faults: Record<string, number> = {};
  private readonly counts: Record<string, number> = { proposalsAccepted: 0, proposalsRefused: 0, confChangesProposed: 0, transfersRequested: 0 };

  constructor(private readonly opts: SimOptions) {
    this.rng = new SeededRandom(opts.seed);
    this.enableWitnessToLeader = this.rng.chance(0.5);
    this.net = new SimNetwork(this.queue, this.rng, { ...CALM_NETWORK }, (b) => this.deliver(b));
    for (let id = 1; id <= opts.nodes; id++) {
      const disk = new SimDisk(this.queue, this.rng, { ioLatencyMsMax: 2, maxSegmentBytes: 16 * 1024 });
      this.nodes.push({ id, up: true, paused: false, inbox: [], host: undefined, disk });
    }
    for (const n of this.nodes) n.host = this.newHost(n, undefined);
    if (opts.layout) {
      for (const g of opts.layout) this.bootstrapGroupWith(g.id, { voters: [...g.voters].sort((a, b) => a - b), learners: [], witnesses: [] });
    } else {
      for (let i = 0; i < opts.groups; i++) this.bootstrapGroup(i + 2); // DolphinDB group ids start at 2
    }
  }

  private bootstrapGroupWith(group: number, cs: ConfState): void {
    this.groupIds.push(group);
    for (const id of [...cs.voters, ...cs.learners, ...cs.witnesses]) this.node(id).host!.createGroup(group, cs);
  }

  private bootstrapGroup(group: number): void {
    this.groupIds.push(group);
    const ids = this.nodes.map((n) => n.id);
    const start = this.rng.intBelow(ids.length);
    const members = Array.from({ length: ids.length }, (_, k) => ids[(start + k) % ids.length]!);
    const cs: ConfState = { voters: members.slice(0, 3).sort((a, b) => a - b), learners: [], witnesses: [] };
    if (members.length > 3 && this.rng.chance(0.4)) cs.witnesses.push(members[3]!);
    else if (members.length > 3 && this.rng.chance(0.4)) cs.learners.push(members[3]!);
    this.groupIds.pop();
    this.bootstrapGroupWith(group, cs);
  }

  private node(id: number): SimNode {
    return this.nodes[id - 1]!;
  }

  private newHost(n: SimNode, recovered: ReturnType<typeof recoverNode> | undefined): MultiRaftHost {
    const disk = n.disk.wal();
    let host: MultiRaftHost;
    host = new MultiRaftHost({
      nodeId: n.id, electionTick: ELECTION_TICK, heartbeatTick: HEARTBEAT_TICK, random: this.rng,
      enableWitnessToLeader: this.enableWitnessToLeader,
      snapshotIntervalEntries: 40, compactionMarginEntries: 10, maxSizePerMsgBytes: 4096, maxInflightMsgs: 8,
      wal: {
        append: (records) => disk.append(records),
        beginCheckpoint: () => disk.beginCheckpoint(),
        sync: (done) => disk.sync((error) => {
          done(error);
          if (n.host !== host) return;
          if (host.failed) this.crashAndRestart(n, 'diskFailures');
          else this.pump(n);
        }),
      },
      transport: { send: (b) => this.net.send(b) },
      newStateMachine: (group) => new LogStateMachine(
        (_sm, entry) => {
          this.checker.noteWitnessCheck();
          if (host.group(group).raft.isWitness()) this.checker.observeWitnessApply(n.id, group, entry.index);
        },
        (sm, snap) => this.checker.observeRestore(n.id, group, snap.metadata.index, sm.applied),
      ),
      events: {
        applied: (group, entry, asWitness) => this.checker.observeApply(n.id, group, entry, asWitness),
      },
    }, recovered);
    return host;
  }

  // ---- driving the hosts ----------------------------------------------------------------------

  private pump(n: SimNode): void {
    const host = n.host;
    if (!n.up || n.paused || !host) return;
    while (host.process()) { /* rounds without records complete at once */ }
    for (const g of host.groupIds()) this.checker.observeRole(n.id, g, host.group(g));
  }

  private deliver(b: PeerBatch): void {
    const n = this.node(b.to);
    if (!n.up) return;
    if (n.paused) {
      if (n.inbox.length < 10_000) n.inbox.push(b);
      return;
    }
    n.host!.receive(b);
    this.pump(n);
  }

  private scheduleTicks(n: SimNode): void {
    const loop = () => {
      if (n.up && !n.paused && n.host) {
        n.host.tick();
        this.pump(n);
      }
      this.queue.schedule(TICK_MS, loop);
    };
    this.queue.schedule(1 + this.rng.intBelow(TICK_MS), loop);
  }

  // ---- faults ---------------------------------------------------------------------------------

  private count(name: string): void {
    this.faults[name] = (this.faults[name] ?? 0) + 1;
  }

  private crash(n: SimNode): void {
    n.up = false;
    n.paused = false;
    n.inbox = [];
    n.host = undefined;
    n.disk.crash();
  }

  private restart(n: SimNode): void {
    if (n.up) return;
    n.up = true;
    try {
      n.host = this.newHost(n, recoverNode(n.disk.recover()));
    } catch (e) {
      // A log the node refuses to start on: only a disk that lost synced data can cause it here.
      this.checker.violate('invariant broken', `node ${n.id} cannot recover: ${(e as Error).message}`);
      n.up = false;
      return;
    }
    this.pump(n);
  }

  private crashAndRestart(n: SimNode, reason: string): void {
    this.count(reason);
    this.crash(n);
    this.queue.schedule(50 + this.rng.intBelow(1500), () => this.restart(n));
  }

  private resume(n: SimNode): void {
    if (!n.paused) return;
    n.paused = false;
    const inbox = n.inbox;
    n.inbox = [];
    for (const b of inbox) if (n.up) n.host!.receive(b);
    this.pump(n);
  }

  private leaderOf(group: number): SimNode | undefined {
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const n of this.nodes) {
      if (!n.up || n.paused || !n.host || !n.host.groupIds().includes(group)) continue;
      const r = n.host.group(group).raft;
      if (r.role === Role.Leader && r.term > bestTerm) {
        best = n;
        bestTerm = r.term;
      }
    }
    return best;
  }

  private injectFault(): void {
    const r = this.rng;
    const up = this.nodes.filter((n) => n.up && !n.paused);
    const kind = r.intBelow(10);
    const group = r.pick(this.groupIds);
    const leader = this.leaderOf(group);
    if (kind === 0 && up.length > 0) {
      this.crashAndRestart(r.pick(up), 'crashRandomNode');
    } else if (kind === 1 && leader) {
      this.crashAndRestart(leader, 'crashLeader');
    } else if (kind === 2 && up.length > 0) {
      const n = r.pick(up);
      n.paused = true;
      this.count('pause');
      this.queue.schedule(100 + r.intBelow(2000), () => this.resume(n));
    } else if (kind === 3) {
      const ids = this.nodes.map((n) => n.id);
      const side = ids.filter(() => r.chance(0.5));
      this.net.partition([side, ids.filter((id) => !side.includes(id))]);
      this.count('partition');
      this.queue.schedule(200 + r.intBelow(2000), () => this.net.heal());
    } else if (kind === 4 && leader) {
      // One way: the leader can send but hears nothing back (or the reverse).
      const others = this.nodes.map((n) => n.id).filter((id) => id !== leader.id);
      const inbound = r.chance(0.5);
      for (const o of others) inbound ? this.net.cutLink(o, leader.id) : this.net.cutLink(leader.id, o);
      this.count(inbound ? 'oneWayIntoLeader' : 'oneWayFromLeader');
      this.queue.schedule(200 + r.intBelow(2000), () => this.net.heal());
    } else if (kind === 5) {
      this.net.faults = {
        dropProbability: r.intBelow(20) / 100, duplicateProbability: r.intBelow(5) / 100,
        delayMsMin: 1, delayMsMax: 2 + r.intBelow(30), slowProbability: r.intBelow(5) / 100,
      };
      this.count('lossyNetwork');
    } else if (kind === 6 || kind === 7) {
      this.changeMembership(group);
    } else if (kind === 8 && leader) {
      const voters = leader.host!.group(group).raft.confState().voters.filter((v) => v !== leader.id);
      if (voters.length > 0) {
        leader.host!.transferLeader(group, r.pick(voters));
        this.counts.transfersRequested!++;
        this.pump(leader);
      }
    } else if (kind === 9 && up.length > 0) {
      // EIO on the node's next sync: the host stops, and the node restarts from its WAL.
      r.pick(up).disk.failNextSync();
    }
  }

  private changeMembership(group: number): void {
    const leader = this.leaderOf(group);
    if (!leader) return;
    const cs = leader.host!.group(group).raft.confState();
    const members = [...cs.voters, ...cs.learners, ...cs.witnesses];
    const outsiders = this.nodes.map((n) => n.id).filter((id) => !members.includes(id) && !(cs.removed ?? []).includes(id));
    const r = this.rng;
    const options: ConfChange[] = [];
    for (const o of outsiders) options.push({ type: ConfChangeType.AddLearner, nodeId: o });
    for (const l of cs.learners) {
      options.push({ type: ConfChangeType.AddVoter, nodeId: l });
      if (cs.witnesses.length === 0) options.push({ type: ConfChangeType.AddWitness, nodeId: l });
      options.push({ type: ConfChangeType.RemoveNode, nodeId: l });
    }
    for (const w of cs.witnesses) options.push({ type: ConfChangeType.RemoveNode, nodeId: w });
    if (cs.voters.length > 3) for (const v of cs.voters) options.push({ type: ConfChangeType.RemoveNode, nodeId: v });
    if (cs.voters.length > 3) for (const v of cs.voters) options.push({ type: ConfChangeType.AddLearner, nodeId: v });
    if (options.length === 0) return;
    const cc = r.pick(options);
    try {
      leader.host!.proposeConfChange(group, cc);
      this.counts.confChangesProposed!++;
      this.count(`membership${cc.type}`);
    } catch {
      this.counts.proposalsRefused!++;
    }
    this.pump(leader);
  }

  /** A member in the leader's configuration that is up but not hosting the group joins it. */
  private hostMissingMembers(): void {
    for (const group of this.groupIds) {
      const leader = this.leaderOf(group);
      if (!leader) continue;
      const cs = leader.host!.group(group).raft.confState();
      for (const id of [...cs.voters, ...cs.learners, ...cs.witnesses]) {
        const n = this.node(id);
        if (n.up && n.host && !n.host.groupIds().includes(group)) {
          n.host.createGroup(group, undefined);
          this.pump(n);
        }
      }
    }
  }

  private proposeSomething(): void {
    const group = this.rng.pick(this.groupIds);
    const target = this.rng.chance(0.8) ? this.leaderOf(group) : this.rng.pick(this.nodes);
    if (!target || !target.up || target.paused || !target.host || !target.host.groupIds().includes(group)) return;
    try {
      target.host.propose(group, encoder.encode(`g${group}-v${++this.proposalSeq}`));
      this.counts.proposalsAccepted!++;
    } catch {
      this.counts.proposalsRefused!++;
    }
    this.pump(target);
  }

  private checkLogs(): void {
    for (const group of this.groupIds) {
      const logs = this.nodes
        .filter((n) => n.up && n.host && n.host.groupIds().includes(group))
        .map((n) => ({ node: n.id, raw: n.host!.group(group) }));
      this.checker.checkLogMatching(group, logs);
    }
  }

  // ---- the run ----------------------------------------------------------------------------------

  private every(ms: number, until: () => boolean, fn: () => void): void {
    const loop = () => {
      if (until()) return;
      fn();
      this.queue.schedule(ms, loop);
    };
    this.queue.schedule(ms, loop);
  }

  private heal(): void {
    this.healed = true;
    this.net.heal();
    this.net.faults = { ...CALM_NETWORK };
    for (const n of this.nodes) {
      this.restart(n);
      this.resume(n);
    }
  }

  /** Every group has a leader that committed an entry proposed after healing, applied by all its members. */
  private converged(finalEntry: Map<number, { index: number; term: number }>): boolean {
    let all = true;
    for (const group of this.groupIds) {
      if (!this.groupConverged(group, finalEntry)) all = false;
    }
    return all;
  }

  private groupConverged(group: number, finalEntry: Map<number, { index: number; term: number }>): boolean {
    const leader = this.leaderOf(group);
    if (!leader) return false;
    const raft = leader.host!.group(group).raft;
    const fin = finalEntry.get(group);
    // Our final entry must be in the leader's log; if it was lost with an old leader, propose again.
    if (!fin || (raft.raftLog.term(fin.index) !== fin.term && raft.raftLog.firstIndex() <= fin.index)) {
      this.proposeFinal(group, leader, finalEntry);
      return false;
    }
    const idx = fin.index;
    if (raft.raftLog.applied < idx) return false;
    const cs = raft.confState();
    for (const id of [...cs.voters, ...cs.learners, ...cs.witnesses]) {
      const n = this.node(id);
      if (!n.host || !n.host.groupIds().includes(group)) return false;
      if (n.host.group(group).raft.raftLog.applied < idx) return false;
    }
    return true;
  }

  private proposeFinal(group: number, leader: SimNode, finalEntry: Map<number, { index: number; term: number }>): void {
    try {
      const index = leader.host!.propose(group, encoder.encode(`g${group}-final-${++this.proposalSeq}`));
      finalEntry.set(group, { index, term: leader.host!.group(group).raft.term });
      this.pump(leader);
    } catch {
      finalEntry.delete(group);
    }
  }

  /** Every running node restates its groups in its WAL and releases the segments that covers. */
  private checkpointAll(): void {
    for (const n of this.nodes) {
      const host = n.host;
      if (!n.up || n.paused || !host) continue;
      const wal = n.disk.wal();
      host.checkpoint(() => {
        wal.releaseBeforeCheckpoint((error, released) => {
          if (error || n.host !== host) return;
          this.counts.segmentsReleased = (this.counts.segmentsReleased ?? 0) + released.length;
        });
      });
      this.pump(n);
    }
  }

  run(): SimResult {
    const marksBefore = new Map(allMarks());
    for (const n of this.nodes) this.scheduleTicks(n);
    const faultEnd = this.opts.faultMs;
    this.every(20 + this.rng.intBelow(30), () => this.healed, () => this.proposeSomething());
    this.every(150 + this.rng.intBelow(500), () => this.healed, () => this.injectFault());
    this.every(100, () => false, () => this.hostMissingMembers());
    this.every(50, () => false, () => this.checkLogs());
    this.every(300 + this.rng.intBelow(300), () => false, () => this.checkpointAll());
    this.queue.schedule(faultEnd, () => this.heal());
    const finalEntry = new Map<number, { index: number; term: number }>();
    let convergedAt: number | undefined;
    const deadline = faultEnd + this.opts.convergeWithinMs;
    this.every(100, () => convergedAt !== undefined, () => {
      if (this.healed && this.converged(finalEntry)) convergedAt = this.queue.now;
    });
    let crashed: string | undefined;
    try {
      while (convergedAt === undefined && this.checker.violations.length === 0 && this.queue.runNext(deadline)) { /* run */ }
      this.checkLogs();
    } catch (e) {
      // An invariant inside the core or the host stopped a node: that is a finding, not a simulator crash.
      crashed = `invariant broken at ${this.queue.now} ms: ${(e as Error).message}`;
    }
    const violations = [...this.checker.violations];
    if (crashed) violations.push(crashed);
    if (convergedAt === undefined && violations.length === 0 && !crashed) {
      violations.push(`no convergence: not every group elected a leader and committed a new entry within ${this.opts.convergeWithinMs} ms after healing (${this.describeGroups()})`);
    }
    const marks: Record<string, number> = {};
    for (const [k, v] of allMarks()) if (v > (marksBefore.get(k) ?? 0)) marks[`mark:${k}`] = v - (marksBefore.get(k) ?? 0);
    return {
      seed: this.opts.seed,
      ok: violations.length === 0,
      violations,
      simulatedMs: this.queue.now,
      convergedAfterMs: convergedAt === undefined ? undefined : convergedAt - faultEnd,
      counts: { ...this.counts, ...this.checker.counts, ...prefixed('net', this.net.stats), ...this.diskCounts(), ...marks },
      faults: this.faults,
    };
  }

  private diskCounts(): Record<string, number> {
    const total: Record<string, number> = {};
    for (const n of this.nodes) {
      for (const [k, v] of Object.entries({ ...n.disk.stats, ...n.disk.files.stats })) total[`disk.${k}`] = (total[`disk.${k}`] ?? 0) + v;
    }
    return total;
  }

  private describeGroups(): string {
    return this.groupIds.map((g) => {
      const states = this.nodes.filter((n) => n.host && n.host.groupIds().includes(g)).map((n) => {
        const r = n.host!.group(g).raft;
        return `n${n.id}:${r.role[0]}t${r.term}c${r.raftLog.committed}a${r.raftLog.applied}l${r.raftLog.lastIndex()}${n.host!.isQuiesced(g) ? 'q' : ''}`;
      });
      return `group ${g} [${states.join(' ')}]`;
    }).join('; ');
  }
}

function prefixed(prefix: string, stats: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(stats)) out[`${prefix}.${k}`] = v;
  return out;
}

export function runSimulation(opts: SimOptions): SimResult {
  return new Simulation(opts).run();
}
