// One fault run: a real cluster (3 or 5 nodes, two Raft groups, every peer link through a proxy), the
// workload, and faults chosen from the seed -- each applied, held, then healed -- until the time is up.
// Then everything heals, every group must take writes again, every replica is read, and the checker
// judges the history. The same seed chooses the same faults and the same workload decisions (the
// processes' timing is not replayable, so a seed replays the run's plan, not its interleaving).

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '../../broker/raft/random.js';
import { ADMIN_PASSWORD } from '../node/cluster_harness.js';
import { Verdict, checkHistory } from './checker.js';
import { FaultCluster } from './fault_cluster.js';
import { chooseFault } from './faults.js';
import { History } from './history.js';
import { DEFAULT_WORKLOAD, Workload } from './workload.js';

export interface FaultRunOptions {
  nodes: 3 | 5;
  seed: number;
  /** How long faults are injected; the run takes longer (start, heal, final reads). */
  faultMs: number;
  /** Offer the full-disk fault where tmpfs can be mounted (default true). */
  diskFaults?: boolean;
  log(line: string): void;
}

export interface FaultRunResult {
  history: History;
  verdict: Verdict;
  /** Faults that were skipped (e.g. a full disk where tmpfs cannot be mounted), with why. */
  skipped: string[];
}

/** Group layouts: with 5 nodes the groups overlap on one node only, so faults hit them differently. */
function groupsFor(nodes: 3 | 5): Array<{ id: number; members: number[] }> {
  return nodes === 3 ? [{ id: 2, members: [1, 2, 3] }, { id: 3, members: [1, 2, 3] }] : [{ id: 2, members: [1, 2, 3] }, { id: 3, members: [3, 4, 5] }];
}

export async function runFaults(o: FaultRunOptions): Promise<FaultRunResult> {
  const groups = groupsFor(o.nodes);
  const cluster = await FaultCluster.create({ nodes: o.nodes, groups, diskFaults: o.diskFaults ?? true });
  const skipped: string[] = [];
  let logsKeptIn: string | undefined; // a failed run keeps its nodes' logs for the next engineer
  try {
    const aliases = cluster.aliases;
    const workload = new Workload({
      ports: cluster.ports, aliases, password: ADMIN_PASSWORD,
      groups: groups.map((g) => ({ id: g.id, members: g.members.map((m) => aliases[m - 1]!) })),
    }, o.seed, DEFAULT_WORKLOAD);
    const rng = new SeededRandom(o.seed);
    for (const g of groups) await cluster.leaderOf(g.id);
    await workload.start();
    o.log(`seed ${o.seed}: ${o.nodes} nodes, groups ${groups.map((g) => `${g.id}:${g.members.map((m) => aliases[m - 1]).join('+')}`).join(' ')}, ${workload.history.tables.length} tables`);
    const until = Date.now() + o.faultMs;
    while (Date.now() < until) {
      await sleep(500 + rng.intBelow(1500));
      if (rng.chance(0.15)) {
        const made = await workload.addRandomTable();
        workload.history.faults.push({ atMs: workload.now(), what: made ? 'created a table' : 'table creation failed' });
      }
      const fault = chooseFault(rng, cluster);
      const started = workload.now();
      try {
        await fault.apply(cluster);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        skipped.push(`${fault.name}: ${why}`);
        o.log(`  skipped ${fault.name}: ${why}`);
        continue;
      }
      workload.history.faults.push({ atMs: started, what: fault.name });
      o.log(`  ${(started / 1000).toFixed(1)}s ${fault.name}`);
      await sleep(1500 + rng.intBelow(3000));
      if (fault.heal) await fault.heal(cluster);
      else cluster.healNetwork();
      workload.history.faults.push({ atMs: workload.now(), what: `healed: ${fault.name}` });
    }
    await workload.stopProducers();
    await cluster.healAll();
    workload.history.faults.push({ atMs: workload.now(), what: 'healed everything; every group has a leader and takes writes' });
    await workload.finish(60_000);
    const verdict = checkHistory(workload.history);
    if (!verdict.ok) {
      logsKeptIn = join(tmpdir(), `shoal-fault-${o.nodes}n-seed${o.seed}-${Date.now()}`);
      o.log(`node logs kept in ${logsKeptIn}`);
    }
    return { history: workload.history, verdict, skipped };
  } finally {
    await cluster.destroy(logsKeptIn === undefined ? {} : { keepLogsIn: logsKeptIn });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
