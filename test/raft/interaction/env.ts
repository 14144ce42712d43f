// An interaction environment after etcd's rafttest.InteractionEnv: a handful of RawNodes, each
// over its own MemoryStorage, driven step by step from a script. The environment is the host: it
// persists each Ready, queues its messages, applies committed entries to a tiny state machine
// (the list of applied values), then advances. Nothing happens unless a command asks for it, so
// every message and every Ready can be seen and checked.

import { newGroupStorage } from '../../../broker/host/wal_records.js';
import { RawNode } from '../../../broker/raft/raw_node.js';
import { SeededRandom } from '../../../broker/raft/random.js';
import { MemoryStorage } from '../../../broker/raft/storage.js';
import { ConfState, EntryType, Message, Role } from '../../../broker/raft/types.js';
import { describeConfState, describeEntry, describeError, describeMessage, describeReady, snapshotValues } from './describe.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAX_STABILIZE_ROUNDS = 1000;

export interface NodeOptions {
  confState: ConfState | undefined; // undefined: the node joins later and waits for a snapshot
  seed: number;
  electionTick: number;
  heartbeatTick: number;
  preVote: boolean;
  checkQuorum: boolean;
  enableWitnessToLeader: boolean;
  maxInflightMsgs: number | undefined;
  maxSizePerMsgBytes: number | undefined;
}

export interface EnvNode {
  id: number;
  rawNode: RawNode;
  storage: MemoryStorage;
  applied: Array<{ index: number; value: string }>; // the state machine: values in apply order
  options: NodeOptions;
}

export class InteractionEnv {
  readonly nodes = new Map<number, EnvNode>();
  messages: Message[] = []; // sent, not yet delivered, in send order
  private side: Map<number, number> | undefined; // partition: node -> side; unlisted nodes are side -1

  node(id: number): EnvNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  ids(): number[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  addNodes(count: number, options: NodeOptions): string[] {
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = this.nodes.size + 1;
      // The same start as the host's: a bootstrap snapshot at LSN 1 carrying the membership.
      const storage = newGroupStorage(options.confState, 0);
      const rawNode = new RawNode({
        id,
        electionTick: options.electionTick,
        heartbeatTick: options.heartbeatTick,
        random: new SeededRandom(options.seed * 1000 + id),
        preVote: options.preVote,
        checkQuorum: options.checkQuorum,
        enableWitnessToLeader: options.enableWitnessToLeader,
        ...(options.maxInflightMsgs !== undefined ? { maxInflightMsgs: options.maxInflightMsgs } : {}),
        ...(options.maxSizePerMsgBytes !== undefined ? { maxSizePerMsgBytes: options.maxSizePerMsgBytes } : {}),
      }, storage);
      this.nodes.set(id, { id, rawNode, storage, applied: [], options });
      const snap = storage.snapshot()!;
      out.push(`${id}: first=${storage.firstIndex()} last=${storage.lastIndex()} term=${rawNode.raft.term} ` +
        `snapshot=${snap.metadata.index}/${snap.metadata.term} ${describeConfState(rawNode.raft.confState())}`);
    }
    return out;
  }

  /** Takes one Ready from the node, does the host's I/O for it, and advances. */
  processReady(id: number): string[] {
    const n = this.node(id);
    const rn = n.rawNode;
    const out = [`> ${id} handling Ready`];
    if (!rn.hasReady()) return [...out, '  <empty Ready>'];
    const rd = rn.ready();
    out.push(...describeReady(rd).map((l) => `  ${l}`));
    // Persist: snapshot, entries, then hard state (the host's WAL order).
    if (rd.snapshot) {
      n.storage.applySnapshot(rd.snapshot);
      n.applied = snapshotValues(rd.snapshot.data).map((value) => ({ index: rd.snapshot!.metadata.index, value }));
    }
    if (rd.entries.length > 0) n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    this.messages.push(...rd.messages);
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.ConfChange) {
        const cc = RawNode.confChangeOf(e);
        const cs = rn.applyConfChange(cc);
        out.push(`  applied ${cc.type}(${cc.nodeId}) at ${e.index}: ${describeConfState(cs)}`);
      } else if (e.data.byteLength > 0) {
        n.applied.push({ index: e.index, value: decoder.decode(e.data) });
      }
    }
    rn.advance(rd);
    if (rn.raft.snapshotRequested) {
      // The host's answer to a new member that is younger than every snapshot: take one now.
      rn.raft.snapshotRequested = false;
      const snap = this.createSnapshot(n, rn.raft.raftLog.applied);
      out.push(`  snapshot requested: created snapshot at Index:${snap}`);
    }
    return out;
  }

  private createSnapshot(n: EnvNode, index: number): number {
    const values = n.applied.filter((a) => a.index <= index).map((a) => a.value);
    const data = n.rawNode.raft.isWitness() ? new Uint8Array() : encoder.encode(JSON.stringify(values));
    return n.storage.createSnapshot(index, n.rawNode.raft.confState(), data).metadata.index;
  }

  /** Snapshot at `index` (which must be applied) and drop the log before it. */
  compact(id: number, index: number): string[] {
    const n = this.node(id);
    const applied = n.rawNode.raft.raftLog.applied;
    if (index > applied) throw new Error(`node ${id} has applied only up to ${applied}, cannot compact at ${index}`);
    this.createSnapshot(n, index);
    n.storage.compact(index);
    return [`${id}: snapshot=${index}/${n.storage.term(index)} first=${n.storage.firstIndex()} last=${n.storage.lastIndex()}`];
  }

  partition(sides: number[][]): void {
    this.side = new Map();
    sides.forEach((ids, i) => ids.forEach((id) => this.side!.set(id, i)));
  }

  heal(): void {
    this.side = undefined;
  }

  private cutOff(m: Message): boolean {
    if (!this.side) return false;
    return (this.side.get(m.from) ?? -1) !== (this.side.get(m.to) ?? -1);
  }

  /** Delivers (or drops) every queued message addressed to one of `ids`, in send order. */
  deliverMsgs(ids: number[], drop: boolean, indent = ''): string[] {
    const out: string[] = [];
    const want = new Set(ids);
    const keep: Message[] = [];
    const take: Message[] = [];
    for (const m of this.messages) (want.has(m.to) ? take : keep).push(m);
    this.messages = keep;
    for (const m of take) {
      const text = describeMessage(m);
      if (drop) out.push(`${indent}dropped: ${text}`);
      else if (this.cutOff(m)) out.push(`${indent}dropped (partition): ${text}`);
      else if (!this.nodes.has(m.to)) out.push(`${indent}dropped (no such node): ${text}`);
      else {
        out.push(`${indent}${text}`);
        try {
          this.node(m.to).rawNode.step(m);
        } catch (e) {
          out.push(`${indent}${describeError(e)}`);
        }
      }
    }
    return out;
  }

  /** Processes Readies and delivers messages among `ids` until nothing moves (etcd's stabilize). */
  stabilize(ids: number[]): string[] {
    const out: string[] = [];
    for (let round = 0; round < MAX_STABILIZE_ROUNDS; round++) {
      let done = true;
      for (const id of ids) {
        if (this.node(id).rawNode.hasReady()) {
          done = false;
          out.push(...this.processReady(id));
        }
      }
      for (const id of ids) {
        if (!this.messages.some((m) => m.to === id)) continue;
        done = false;
        out.push(`> ${id} receiving messages`, ...this.deliverMsgs([id], false, '  '));
      }
      if (done) return out;
    }
    throw new Error(`stabilize did not settle within ${MAX_STABILIZE_ROUNDS} rounds`);
  }

  /**
   * Advances the node's clock until its election timer fires: a follower campaigns (or would,
   * if it may); a leader runs exactly one check-quorum round (and a heartbeat per heartbeat tick).
   */
  tickElection(id: number): void {
    const n = this.node(id);
    const r = n.rawNode.raft;
    if (r.role === Role.Leader) {
      for (let i = 0; i < n.options.electionTick; i++) n.rawNode.tick();
      return;
    }
    const role = r.role;
    for (let i = 0; i < 2 * n.options.electionTick; i++) {
      const before = r.msgs.length;
      n.rawNode.tick();
      if (r.role !== role || r.msgs.length !== before) return;
    }
  }

  tick(id: number, count: number): void {
    for (let i = 0; i < count; i++) this.node(id).rawNode.tick();
  }

  status(id: number): string[] {
    const s = this.node(id).rawNode.status();
    const out = [
      `${id}: ${s.role} Term:${s.term} Vote:${s.vote} Lead:${s.lead} Commit:${s.commit} Applied:${s.applied} ` +
        `LastIndex:${s.lastIndex} LeadTransferee:${s.leadTransferee}`,
      `ConfState:${describeConfState(s.confState)}`,
    ];
    for (const [pid, p] of [...s.progress].sort((a, b) => a[0] - b[0])) {
      const kind = p.isLearner ? ' learner' : p.isWitness ? ' witness' : '';
      out.push(`  ${pid}: ${p.state} match=${p.match} next=${p.next}${kind}`);
    }
    return out;
  }

  raftLog(id: number): string[] {
    const n = this.node(id);
    const log = n.rawNode.raft.raftLog;
    const snap = n.storage.snapshot()!;
    const out = [`snapshot ${snap.metadata.index}/${snap.metadata.term}, first=${log.firstIndex()} last=${log.lastIndex()}`];
    const ents = log.slice(log.firstIndex(), log.lastIndex() + 1, Number.MAX_SAFE_INTEGER) ?? [];
    for (const e of ents) out.push(`${describeEntry(e)}${e.index >= log.unstable.offset ? ' (unstable)' : ''}`);
    return out;
  }

  raftState(): string[] {
    return this.ids().map((id) => {
      const r = this.node(id).rawNode.raft;
      const cs = r.confState();
      const kind = cs.voters.includes(id) ? 'Voter' : cs.learners.includes(id) ? 'Learner' : cs.witnesses.includes(id) ? 'Witness' : 'NonMember';
      return `${id}: ${r.role} (${kind}) Term:${r.term} Lead:${r.lead} Commit:${r.raftLog.committed} Applied:${r.raftLog.applied}`;
    });
  }

  stateMachine(id: number): string[] {
    return [`${id}: [${this.node(id).applied.map((a) => a.value).join(' ')}]`];
  }
}
