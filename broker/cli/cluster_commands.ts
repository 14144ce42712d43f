// `shoal status`, `shoal leader <group>` and `shoal tables`: what the cluster looks like, asked of
// every data node that answers. A node that does not answer is reported down, never a crash.

import { ShoalClient, TableListing } from '../../clients/shoal_client.js';
import { messageOf } from '../../storage/state/errors.js';
import { CliError } from './cli_errors.js';
import { CliTarget, NodeAddress, addressOf } from './cli_target.js';
import { GroupStatus, LeaderAnswer, NodeStatus, formatStatus, groupStatesOfStat, pickLeader } from './cluster_view.js';
import { NodeConnections } from './node_connections.js';
import { formatTextTable } from './text_table.js';

/** How long a node may take to answer before status calls it down. */
export const PROBE_TIMEOUT_MS = 3000;

interface Probe {
  address: NodeAddress;
  client?: ShoalClient;
  error?: string;
  groups: Array<{ id: number; sites: string[] }>;
  stat: Record<string, unknown> | undefined;
  tables: TableListing[];
}

function keyOf(a: NodeAddress): string {
  return `${a.host}:${a.port}`;
}

async function probe(conns: NodeConnections, address: NodeAddress): Promise<Probe> {
  try {
    const client = await conns.open(address);
    const [groups, stat, tables] = await Promise.all([client.getStreamingRaftGroups(), client.getStreamingStat(), client.listTables()]);
    return { address, client, groups, stat, tables };
  } catch (err) {
    if (err instanceof CliError) throw err;
    return { address, error: messageOf(err), groups: [], stat: undefined, tables: [] };
  }
}

/** Every data node: the seeds, then the members of every group an answering node reports. */
async function probeCluster(conns: NodeConnections, seeds: readonly NodeAddress[]): Promise<Probe[]> {
  const probes = await Promise.all(seeds.map((s) => probe(conns, s)));
  const known = new Set(probes.map((p) => keyOf(p.address)));
  const more: NodeAddress[] = [];
  for (const p of probes) {
    for (const site of p.groups.flatMap((g) => g.sites)) {
      const a = addressOf(site);
      if (a !== undefined && !known.has(keyOf(a))) {
        known.add(keyOf(a));
        more.push(a);
      }
    }
  }
  // A site reported with its alias names the node better than the address it was given by.
  const named = probes.map((p) => {
    const site = p.groups.flatMap((g) => g.sites).map(addressOf).find((a) => a !== undefined && keyOf(a) === keyOf(p.address));
    return site === undefined ? p : { ...p, address: site };
  });
  return [...named, ...(await Promise.all(more.map((a) => probe(conns, a))))];
}

function groupsOf(probes: readonly Probe[]): Array<{ id: number; sites: string[] }> {
  const byId = new Map<number, string[]>();
  for (const p of probes) for (const g of p.groups) if (!byId.has(g.id)) byId.set(g.id, g.sites);
  return [...byId.entries()].sort((a, b) => a[0] - b[0]).map(([id, sites]) => ({ id, sites }));
}

/** What each answering member of the group says about its leader. */
async function leaderAnswers(probes: readonly Probe[], group: { id: number; sites: string[] }): Promise<LeaderAnswer[]> {
  const members = new Set(group.sites.map(addressOf).filter((a) => a !== undefined).map(keyOf));
  const asked = probes.filter((p) => p.client !== undefined && members.has(keyOf(p.address)));
  const answers = await Promise.all(asked.map(async (p): Promise<LeaderAnswer | undefined> => {
    const term = groupStatesOfStat(p.stat ?? {}).find((s) => s.id === group.id)?.term;
    try {
      return { leader: await p.client!.getStreamingLeader(group.id), term };
    } catch {
      return undefined; // it answered the probe a moment ago; one missed answer is no verdict on the leader
    }
  }));
  return answers.filter((a): a is LeaderAnswer => a !== undefined);
}

/** An up node's role in each raft group (the node's own local tables sit in a group of its own, left out). */
function rolesOf(p: Probe, groupIds: ReadonlySet<number>): string {
  if (p.error !== undefined) return p.error;
  const states = groupStatesOfStat(p.stat ?? {}).filter((s) => groupIds.has(s.id));
  return states.length === 0 ? 'up' : states.map((s) => `group ${s.id} ${s.role.toLowerCase()}`).join(', ');
}

function unreachable(probes: readonly Probe[]): CliError {
  return new CliError('UNREACHABLE', `no data node answered: ${probes.map((p) => `${p.address.label}: ${p.error}`).join('; ')}`);
}

export async function runStatus(target: CliTarget, print: (text: string) => void): Promise<void> {
  const conns = new NodeConnections({ user: target.user, password: target.password }, PROBE_TIMEOUT_MS);
  try {
    const probes = await probeCluster(conns, target.seeds);
    const raftGroups = groupsOf(probes);
    const groupIds = new Set(raftGroups.map((g) => g.id));
    const nodes: NodeStatus[] = probes.map((p) => ({ label: p.address.label, up: p.error === undefined, detail: rolesOf(p, groupIds) }));
    const groups: GroupStatus[] = [];
    for (const g of raftGroups) {
      const { leader, term } = pickLeader(await leaderAnswers(probes, g));
      groups.push({ id: g.id, members: g.sites, leader, term });
    }
    const anyUp = probes.some((p) => p.error === undefined);
    const tableNames = new Set(probes.flatMap((p) => p.tables.map((t) => (t.ha ? t.name : `${t.name}@${p.address.label}`))));
    print(formatStatus(nodes, groups, anyUp ? tableNames.size : undefined));
    if (!anyUp) throw new CliError('UNREACHABLE', 'no data node answered (see above); start the cluster (npm start) or check --site');
  } finally {
    await conns.closeAll();
  }
}

export async function runLeader(target: CliTarget, groupId: number, print: (text: string) => void): Promise<void> {
  const conns = new NodeConnections({ user: target.user, password: target.password }, PROBE_TIMEOUT_MS);
  try {
    const probes = await probeCluster(conns, target.seeds);
    if (!probes.some((p) => p.error === undefined)) throw unreachable(probes);
    const groups = groupsOf(probes);
    const group = groups.find((g) => g.id === groupId);
    if (group === undefined) {
      throw new CliError('UNKNOWN_GROUP', `the cluster has no raft group ${groupId}; its groups are ${groups.map((g) => g.id).join(', ') || '(none)'}`);
    }
    const answers = await leaderAnswers(probes, group);
    const { leader } = pickLeader(answers);
    if (leader === '') {
      throw new CliError('NO_LEADER', `raft group ${groupId} has no leader now (${answers.length} of ${group.sites.length} members answered); a majority of ${group.sites.join(', ')} must be up to elect one`);
    }
    print(leader);
  } finally {
    await conns.closeAll();
  }
}

export async function runTables(target: CliTarget, print: (text: string) => void): Promise<void> {
  const conns = new NodeConnections({ user: target.user, password: target.password }, PROBE_TIMEOUT_MS);
  try {
    const probes = await probeCluster(conns, target.seeds);
    if (!probes.some((p) => p.error === undefined)) throw unreachable(probes);
    // An HA table is listed by every member; a follower may lag, so the most rows any member has.
    const tables = new Map<string, { listing: TableListing; where: Probe }>();
    for (const p of probes) {
      for (const t of p.tables) {
        const key = t.ha ? t.name : `${t.name}@${p.address.label}`;
        const seen = tables.get(key);
        if (seen === undefined || t.rows > seen.listing.rows) tables.set(key, { listing: t, where: p });
      }
    }
    const rows = await Promise.all([...tables.values()].sort((a, b) => a.listing.name.localeCompare(b.listing.name)).map(async ({ listing, where }) => {
      let keys: string;
      try {
        keys = (await where.client!.getPersistenceMeta(listing.name)).keyColumns.join(',') || '-';
      } catch (err) {
        keys = `? (${messageOf(err)})`;
      }
      return [listing.name, listing.ha ? String(listing.raftGroup) : `local on ${where.address.label}`, String(listing.rows), listing.ha ? 'yes' : 'no', keys];
    }));
    print(rows.length === 0 ? 'no stream tables' : formatTextTable(['NAME', 'GROUP', 'ROWS', 'HA', 'KEYS'], rows));
  } finally {
    await conns.closeAll();
  }
}
