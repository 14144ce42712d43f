#!/usr/bin/env node
// The `shoal` executable. Today it parses DolphinDB-style cluster files and, for `shoal local`,
// runs the multi-Raft core of those groups in the deterministic simulator as a demo: the data
// node that serves clients over the network is not built yet (see README.md, "Status").

import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ConfigError, loadClusterConfig } from '../../config/index.js';
import { runSimulation } from '../../test/sim/simulation.js';
import { WAL_USAGE, walCheck, walRepair } from './wal_commands.js';

const USAGE = `usage:
  shoal local [--seed S] [--fault-ms M] [--config-dir DIR]
      Loads DIR/cluster.nodes and DIR/cluster.cfg (default: config/local), then runs the Raft groups
      of streamingRaftGroups on its data nodes in the seeded simulator, with crashes, partitions and
      a lossy network, and reports what happened. (Demo until the data node exists.)
  shoal check -nodesFile F -clusterConfig F [-config F]
      Parses and validates DolphinDB-style cluster files; prints the groups and any warnings.
${WAL_USAGE}
  shoal -mode datanode|controller|agent ...
      Not built yet: the networked node processes come with the data node issue.`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function intFlag(args: string[], name: string, fallback: number): number {
  const raw = flag(args, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} needs a non-negative integer, got "${raw}"`);
  return n;
}

class UsageError extends Error {}

function repoRoot(): string {
  // dist/broker/cli/shoal.js -> repository root
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

async function check(args: string[]): Promise<void> {
  const nodesFile = flag(args, '-nodesFile');
  const clusterConfig = flag(args, '-clusterConfig');
  if (!nodesFile || !clusterConfig) throw new UsageError('check needs -nodesFile and -clusterConfig');
  const config = flag(args, '-config');
  const cluster = await loadClusterConfig(config ? { nodesFile, clusterConfig, config } : { nodesFile, clusterConfig });
  console.log(`${cluster.nodes.nodes.length} nodes in ${nodesFile}`);
  for (const g of cluster.streamingRaftGroups) console.log(`raft group ${g.id}: ${g.members.join(', ')}`);
  for (const w of cluster.warnings) console.log(`warning: ${w.file}:${w.line}: ${w.message}`);
}

async function local(args: string[]): Promise<void> {
  const dir = flag(args, '--config-dir') ?? join(repoRoot(), 'config', 'local');
  const seed = intFlag(args, '--seed', Date.now() % 100_000);
  const faultMs = intFlag(args, '--fault-ms', 10_000);
  const cluster = await loadClusterConfig({ nodesFile: join(dir, 'cluster.nodes'), clusterConfig: join(dir, 'cluster.cfg') });
  const dataNodes = cluster.nodes.nodes.filter((n) => n.mode === 'datanode').map((n) => n.alias);
  const idOf = new Map(dataNodes.map((alias, i) => [alias, i + 1]));
  const layout = cluster.streamingRaftGroups.map((g) => ({ id: g.id, voters: g.members.map((m) => idOf.get(m)!) }));
  if (layout.length === 0) throw new UsageError(`${join(dir, 'cluster.cfg')} sets no streamingRaftGroups; nothing to run`);

  console.log('Shoal local (demo): the networked data node is not built yet, so this runs the real Raft core');
  console.log('and multi-Raft host of your cluster files in the deterministic simulator, on a fake clock.');
  console.log(`config: ${dir}`);
  for (const alias of dataNodes) console.log(`  data node ${idOf.get(alias)} = ${alias}`);
  for (const g of cluster.streamingRaftGroups) console.log(`  raft group ${g.id}: ${g.members.join(', ')}`);
  for (const w of cluster.warnings) console.log(`  warning: ${w.file}:${w.line}: ${w.message}`);
  console.log(`running seed ${seed}: ${faultMs} ms of crashes, pauses, partitions and a lossy network, then heal...`);

  const r = runSimulation({ seed, nodes: dataNodes.length, groups: layout.length, faultMs, convergeWithinMs: 20_000, layout });
  const faults = Object.entries(r.faults).sort().map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(`faults injected: ${faults || 'none'}`);
  console.log(`leaders elected: ${r.counts['leadersSeen'] ?? 0}, entries applied on replicas: ${r.counts['entriesApplied'] ?? 0}, ` +
    `proposals accepted: ${r.counts['proposalsAccepted'] ?? 0}, snapshots installed: ${r.counts['snapshotsRestored'] ?? 0}`);
  if (r.ok) {
    console.log(`no safety violation; every group elected a leader and committed a new entry ${r.convergedAfterMs} ms (simulated) after healing`);
  } else {
    for (const v of r.violations) console.log(`VIOLATION ${v}`);
    console.log(`replay: node dist/broker/cli/shoal.js local --seed ${seed} --fault-ms ${faultMs}`);
    process.exitCode = 1;
  }
}

async function main(args: string[]): Promise<void> {
  const command = args[0];
  if (command === 'local') return local(args.slice(1));
  if (command === 'check') return check(args.slice(1));
  if (command === 'wal-check' || command === 'wal-repair') {
    const walDir = flag(args, '-walDir');
    if (!walDir) throw new UsageError(`${command} needs -walDir`);
    if (command === 'wal-check') {
      process.exitCode = walCheck(walDir);
      return;
    }
    const segment = flag(args, '-segment');
    if (!segment || flag(args, '-offset') === undefined) throw new UsageError('wal-repair needs -segment and -offset');
    process.exitCode = walRepair(walDir, segment, intFlag(args, '-offset', 0));
    return;
  }
  if (command === '-mode' || args.includes('-mode')) {
    const mode = flag(args, '-mode');
    throw new UsageError(`-mode ${mode ?? ''} is not built yet; use "shoal local" for the demo or "shoal check" to validate cluster files`);
  }
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }
  throw new UsageError(`unknown command "${command}"`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exitCode = 2;
  } else if (error instanceof UsageError) {
    console.error(`shoal: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(error);
    process.exitCode = 1;
  }
});
