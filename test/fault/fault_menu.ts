// The faults a run chooses from, by seed: each names itself for the history, applies to the cluster,
// and heals what it did. None keeps a majority of any group down beyond its own hold.

import { SeededRandom } from '../../broker/raft/random.js';
import { DiskFaultsUnsupportedError, FaultCluster } from './fault_cluster.js';

export interface Fault {
  name: string;
  apply(c: FaultCluster): Promise<void>;
  heal(c: FaultCluster): Promise<void>;
}

type Maker = (rng: SeededRandom, c: FaultCluster) => Promise<Fault>;

const pick = <T>(rng: SeededRandom, xs: readonly T[]): T => xs[rng.intBelow(xs.length)]!;

async function leaderOfSomeGroup(rng: SeededRandom, c: FaultCluster): Promise<{ group: number; leader: string }> {
  const g = pick(rng, c.groups);
  return { group: g.id, leader: await c.leaderOf(g.id) };
}

/** A dead node comes back by restarting it. */
const restart = (alias: string) => async (c: FaultCluster) => {
  if (!c.isRunning(alias)) await c.start(alias);
};

const MAKERS: Array<[string, Maker]> = [
  ['kill leader', async (rng, c) => {
    const { group, leader } = await leaderOfSomeGroup(rng, c);
    return { name: `kill -9 ${leader} (leader of group ${group})`, apply: (x) => x.kill(leader), heal: restart(leader) };
  }],
  ['kill follower', async (rng, c) => {
    const { group, leader } = await leaderOfSomeGroup(rng, c);
    const follower = pick(rng, c.groups.find((g) => g.id === group)!.members.filter((m) => m !== leader));
    return { name: `kill -9 ${follower} (follower in group ${group})`, apply: (x) => x.kill(follower), heal: restart(follower) };
  }],
  ['kill random', async (rng, c) => {
    const node = pick(rng, c.aliases);
    return { name: `kill -9 ${node} (random node)`, apply: (x) => x.kill(node), heal: restart(node) };
  }],
  ['pause leader', async (rng, c) => {
    const { group, leader } = await leaderOfSomeGroup(rng, c);
    return { name: `SIGSTOP ${leader} (leader of group ${group}), SIGCONT at heal`, apply: async (x) => x.pause(leader), heal: async (x) => x.resume(leader) };
  }],
  ['isolate leader', async (rng, c) => {
    const { group, leader } = await leaderOfSomeGroup(rng, c);
    return { name: `isolate ${leader} (leader of group ${group}) from its peers, not from clients`, apply: async (x) => x.isolate(leader), heal: async (x) => x.healNetwork() };
  }],
  ['one-way', async (rng, c) => {
    const { group, leader } = await leaderOfSomeGroup(rng, c);
    const other = pick(rng, c.groups.find((g) => g.id === group)!.members.filter((m) => m !== leader));
    return { name: `one-way partition ${leader} -/-> ${other} (group ${group}'s leader's messages dropped)`, apply: async (x) => x.oneWay(leader, other), heal: async (x) => x.healNetwork() };
  }],
  ['split', async (rng, c) => {
    const shuffled = [...c.aliases].sort(() => (rng.chance(0.5) ? 1 : -1));
    const minority = shuffled.slice(0, Math.floor(c.aliases.length / 2));
    const majority = shuffled.slice(minority.length);
    return { name: `partition {${minority.join(',')}} | {${majority.join(',')}}`, apply: async (x) => x.partition([minority, majority]), heal: async (x) => x.healNetwork() };
  }],
  ['restart group', async (rng, c) => {
    const g = pick(rng, c.groups);
    return { name: `restart every member of group ${g.id} (${g.members.join(',')})`, apply: (x) => x.restartGroup(g.id), heal: async () => undefined };
  }],
  ['full disk', async (rng, c) => {
    const node = pick(rng, c.aliases);
    return {
      name: `full disk on ${node}`,
      apply: async (x) => x.fillDisk(node), // DiskFaultsUnsupportedError where tmpfs cannot be mounted: the run skips it
      heal: async (x) => {
        x.freeDisk(node);
        if (!x.isRunning(node)) await x.start(node); // a node whose WAL hit ENOSPC stops itself
      },
    };
  }],
];

/** The next fault, chosen by the run's random source. */
export async function chooseFault(rng: SeededRandom, c: FaultCluster): Promise<Fault> {
  const [, make] = MAKERS[rng.intBelow(MAKERS.length)]!;
  return make(rng, c);
}

export function isUnsupported(err: unknown): boolean {
  return err instanceof DiskFaultsUnsupportedError;
}
