// The faults a run injects, chosen from a seed. Each is applied, held by the runner, then healed;
// none takes a Raft group below a quorum of live members for longer than it lasts (a fault that
// would, given the cluster's state when it is applied, refuses with FaultNotApplicableError).
// Which node a fault hits often depends on who leads at that moment, so a fault names itself once
// applied: "kill -9 dn2 (leader of group 2)".

import type { SeededRandom } from '../../broker/raft/random.js';
import { CodedError } from '../../storage/state/errors.js';
import type { FaultCluster } from './fault_cluster.js';

export type FaultKind =
  | 'kill-leader'
  | 'kill-follower'
  | 'kill-random'
  | 'pause-leader'
  | 'isolate-leader'
  | 'one-way'
  | 'split'
  | 'restart-group'
  | 'full-disk';

export const FAULT_KINDS: readonly FaultKind[] = ['kill-leader', 'kill-follower', 'kill-random', 'pause-leader', 'isolate-leader', 'one-way', 'split', 'restart-group', 'full-disk'];

export interface Fault {
  kind: FaultKind;
  /** What the fault does; once apply() ran, exactly what it did, for the history's fault log. */
  name: string;
  apply(c: FaultTarget): Promise<void>;
  /** Undoes the fault: restarts what it killed, resumes what it paused, heals the links or the disk. */
  heal?(c: FaultTarget): Promise<void>;
}

/** What a fault needs of the cluster (FaultCluster has it all; tests may give a fake). */
export type FaultTarget = Pick<
  FaultCluster,
  | 'aliases' | 'groups' | 'diskFaultsSupported' | 'membersOf' | 'isRunning' | 'isLive' | 'leaderOf' | 'start' | 'kill'
  | 'pause' | 'resume' | 'isolate' | 'oneWay' | 'partition' | 'healNetwork' | 'restartGroup' | 'fillDisk' | 'freeDisk'
>;

/** The fault cannot be applied without breaking its promise (no quorum would be left, nothing to hit). */
export class FaultNotApplicableError extends CodedError<'NOT_APPLICABLE'> {
  override readonly name = 'FaultNotApplicableError';
}

/** The kinds a cluster offers: a full disk only where fillDisk works. The seed's plan depends on this list. */
export function faultKindsFor(c: Pick<FaultTarget, 'diskFaultsSupported'>): FaultKind[] {
  return FAULT_KINDS.filter((k) => k !== 'full-disk' || c.diskFaultsSupported);
}

/**
 * A fault from the seed: its kind, group and every later choice are drawn now, a fixed number of
 * draws per call whatever the cluster's state, so a seed replays the same plan.
 */
export function chooseFault(rng: SeededRandom, c: Pick<FaultTarget, 'diskFaultsSupported' | 'groups' | 'aliases'>): Fault {
  const kind = rng.pick(faultKindsFor(c));
  const group = rng.pick(c.groups).id;
  const pick = rng.nextUint32(); // which node, among those that qualify when applied
  const flag = rng.chance(0.5); // a variant: SIGKILL or SIGTERM, leader on the minority side or not, ...
  const order = c.aliases.map(() => rng.nextUint32()); // a shuffle of the nodes, for partitions
  return makeFault(kind, group, pick, flag, order);
}

function makeFault(kind: FaultKind, group: number, pick: number, flag: boolean, order: number[]): Fault {
  switch (kind) {
    case 'kill-leader': return killFault(kind, `kill -9 the leader of group ${group}`, async (c) => {
      const leader = await c.leaderOf(group);
      return { alias: leader, why: `leader of group ${group}` };
    });
    case 'kill-follower': return killFault(kind, `kill -9 a follower of group ${group}`, async (c) => {
      const leader = await c.leaderOf(group);
      const alias = nth(c.membersOf(group).filter((a) => a !== leader && c.isRunning(a)), pick, `no running follower of group ${group}`);
      return { alias, why: `follower of group ${group}` };
    });
    case 'kill-random': return killFault(kind, 'kill -9 a random node', async (c) => {
      const alias = nth(c.aliases.filter((a) => c.isRunning(a)), pick, 'no running node');
      return { alias, why: 'random node' };
    });
    case 'pause-leader': return pauseLeader(group);
    case 'isolate-leader': return isolateLeader(group);
    case 'one-way': return oneWay(group, pick, flag);
    case 'split': return split(group, flag, order);
    case 'restart-group': return restartGroup(group, flag ? 'SIGKILL' : 'SIGTERM');
    case 'full-disk': return fullDisk(group, pick, flag);
  }
}

function killFault(kind: FaultKind, name: string, target: (c: FaultTarget) => Promise<{ alias: string; why: string }>): Fault {
  let killed: string | undefined;
  const fault: Fault = {
    kind, name,
    async apply(c) {
      const { alias, why } = await target(c);
      requireQuorumWithout(c, [alias], `kill -9 ${alias}`);
      fault.name = `kill -9 ${alias} (${why})`;
      killed = alias;
      await c.kill(alias);
    },
    async heal(c) {
      if (killed !== undefined && !c.isRunning(killed)) await c.start(killed);
    },
  };
  return fault;
}

function pauseLeader(group: number): Fault {
  let paused: string | undefined;
  const fault: Fault = {
    kind: 'pause-leader', name: `SIGSTOP the leader of group ${group}, SIGCONT at heal`,
    async apply(c) {
      const leader = await c.leaderOf(group);
      requireQuorumWithout(c, [leader], `pause ${leader}`);
      fault.name = `SIGSTOP ${leader} (leader of group ${group}), SIGCONT at heal`;
      paused = leader;
      c.pause(leader);
    },
    async heal(c) {
      if (paused !== undefined) c.resume(paused);
    },
  };
  return fault;
}

function isolateLeader(group: number): Fault {
  const fault: Fault = {
    kind: 'isolate-leader', name: `isolate the leader of group ${group} from its peers (clients still reach it)`,
    async apply(c) {
      const leader = await c.leaderOf(group);
      requireQuorumWithout(c, [leader], `isolate ${leader}`);
      fault.name = `isolate ${leader} (leader of group ${group}) from its peers, both directions cut; clients still reach it`;
      c.isolate(leader, 'cut');
    },
    async heal(c) {
      c.healNetwork();
    },
  };
  return fault;
}

/** flag: the leader's messages to a follower are lost; otherwise a follower's messages to the leader. */
function oneWay(group: number, pick: number, leaderSpeaks: boolean): Fault {
  const fault: Fault = {
    kind: 'one-way', name: `one-way partition inside group ${group}`,
    async apply(c) {
      const leader = await c.leaderOf(group);
      const follower = nth(c.membersOf(group).filter((a) => a !== leader), pick, `group ${group} has no follower`);
      const [from, to] = leaderSpeaks ? [leader, follower] : [follower, leader];
      fault.name = `one-way: ${from} -> ${to} dropped, ${to} -> ${from} still passes (${leader} leads group ${group})`;
      c.oneWay(from, to, 'drop');
    },
    async heal(c) {
      c.healNetwork();
    },
  };
  return fault;
}

/**
 * Every node on one of two sides, the minority floor(n/2) nodes. flag: the group's leader is on the
 * minority side. A two-way split always leaves each group a quorum on one side.
 */
function split(group: number, leaderInMinority: boolean, order: number[]): Fault {
  const fault: Fault = {
    kind: 'split', name: `majority/minority split (group ${group}'s leader on the ${leaderInMinority ? 'minority' : 'majority'} side)`,
    async apply(c) {
      const leader = await c.leaderOf(group);
      const shuffled = c.aliases.map((a, i) => ({ a, key: order[i]! })).sort((x, y) => x.key - y.key).map((x) => x.a);
      const rest = shuffled.filter((a) => a !== leader);
      const minoritySize = Math.floor(c.aliases.length / 2);
      const minority = leaderInMinority ? [leader, ...rest.slice(0, minoritySize - 1)] : rest.slice(0, minoritySize);
      const majority = c.aliases.filter((a) => !minority.includes(a));
      fault.name = `partition [${minority.join(' ')}] | [${majority.join(' ')}] (${leader} led group ${group}, now on the ${leaderInMinority ? 'minority' : 'majority'} side)`;
      c.partition([minority, majority], 'drop');
    },
    async heal(c) {
      c.healNetwork();
    },
  };
  return fault;
}

function restartGroup(group: number, signal: 'SIGTERM' | 'SIGKILL'): Fault {
  const fault: Fault = {
    kind: 'restart-group', name: `restart every member of group ${group} (${signal}, then start)`,
    async apply(c) {
      fault.name = `restart group ${group}: ${signal} ${c.membersOf(group).join(' ')}, then start them`;
      await c.restartGroup(group, signal);
    },
    async heal(c) {
      for (const a of c.membersOf(group)) if (!c.isRunning(a)) await c.start(a);
    },
  };
  return fault;
}

/** flag: the leader's disk fills; otherwise a follower's. The node exits at its next WAL write. */
function fullDisk(group: number, pick: number, onLeader: boolean): Fault {
  let filled: string | undefined;
  const fault: Fault = {
    kind: 'full-disk', name: `full disk on a ${onLeader ? 'leader' : 'follower'} of group ${group}`,
    async apply(c) {
      const leader = await c.leaderOf(group);
      const alias = onLeader ? leader : nth(c.membersOf(group).filter((a) => a !== leader && c.isRunning(a)), pick, `no running follower of group ${group}`);
      requireQuorumWithout(c, [alias], `fill the disk of ${alias}`);
      fault.name = `full disk on ${alias} (${alias === leader ? 'leader' : 'follower'} of group ${group})`;
      c.fillDisk(alias); // throws DiskFaultsUnsupportedError where no tmpfs is mounted
      filled = alias;
    },
    async heal(c) {
      if (filled === undefined) return;
      c.freeDisk(filled);
      if (!c.isRunning(filled)) await c.start(filled);
    },
  };
  return fault;
}

function nth(candidates: string[], pick: number, none: string): string {
  if (candidates.length === 0) throw new FaultNotApplicableError('NOT_APPLICABLE', `${none}; heal the previous fault first`);
  return candidates[pick % candidates.length]!;
}

/** Refuses a fault that would leave some group without a quorum of live members. */
function requireQuorumWithout(c: FaultTarget, down: string[], what: string): void {
  for (const g of c.groups) {
    const live = g.members.filter((a) => c.isLive(a) && !down.includes(a)).length;
    const quorum = Math.floor(g.members.length / 2) + 1;
    if (live < quorum) {
      throw new FaultNotApplicableError('NOT_APPLICABLE', `${what} would leave group ${g.id} with ${live} live of ${g.members.length} members (a quorum is ${quorum}); heal the previous fault first`);
    }
  }
}
