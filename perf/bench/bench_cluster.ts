// The cluster the benchmark writes to: three data nodes on loopback (dataSync=1, so every acknowledged
// write is fsynced on a majority) with one Raft group over all three, the harness the integration tests
// use. The regular table lives on the group's leader, so HA and regular write to the same disk from the
// same process, as in seed 003.

import { TestCluster } from '../../test/node/cluster_harness.js';
import type { ShoalClient } from '../../clients/index.js';

export const BENCH_GROUP = 2;

export interface BenchCluster {
  cluster: TestCluster;
  leader: number;
  /** A client of the leader, for creating and dropping tables. */
  admin: ShoalClient;
  /** `n` more clients of the leader, one per writer (with highAvailability: they follow the leader). */
  writers(n: number): Promise<ShoalClient[]>;
  /** Each node's resident set size in bytes, from getStreamingStat. */
  rssBytes(): Promise<Array<{ alias: string; rssBytes: number }>>;
  /** Stops every node (by PID) and deletes the home; a second call waits for the first. */
  stop(): Promise<void>;
}

export interface BenchClusterOptions {
  extraConfig?: string[];
  /** Run each node under `node --cpu-prof`, profiles written here when stop() ends the nodes. */
  profileDir?: string;
}

export async function startBenchCluster(o: BenchClusterOptions = {}): Promise<BenchCluster> {
  const cluster = await TestCluster.create({ dataNodes: 3, groups: [{ id: BENCH_GROUP }], extraConfig: o.extraConfig ?? [] });
  const env = o.profileDir === undefined ? {} : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] };
  try {
    await Promise.all(cluster.nodes.map((_, i) => cluster.start(i, 20_000, env)));
    const leader = await cluster.leaderIndex(BENCH_GROUP);
    const admin = await cluster.client(leader, { requestTimeoutMs: 60_000 });
    const made: ShoalClient[] = [];
    let stopping: Promise<void> | undefined;
    return {
      cluster, leader, admin,
      async writers(n) {
        while (made.length < n) made.push(await cluster.client(leader, { requestTimeoutMs: 60_000, highAvailability: true }));
        return made.slice(0, n);
      },
      async rssBytes() {
        const out: Array<{ alias: string; rssBytes: number }> = [];
        for (let i = 0; i < cluster.nodes.length; i++) {
          const c = await cluster.client(i);
          const stat = await c.getStreamingStat() as { process?: { rssBytes?: number } };
          out.push({ alias: cluster.nodes[i]!.alias, rssBytes: stat.process?.rssBytes ?? 0 });
        }
        return out;
      },
      stop() {
        stopping ??= (async () => {
          // SIGTERM first: a profiled node writes its profile as it exits
          if (o.profileDir !== undefined) await Promise.all(cluster.nodes.map((_, i) => cluster.stop(i)));
          await cluster.destroy();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
}
