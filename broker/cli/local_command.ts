// `shoal local`: the embedded local cluster. Starts one data node process per data node of
// config/local/cluster.nodes (each a `shoal -mode datanode` child), prints where each listens and
// how to connect, and stops them all cleanly on Ctrl-C. Data lives under one directory it names.

import { spawn, ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadClusterConfig } from '../../config/index.js';

export const LOCAL_USAGE = `  shoal local [--config-dir DIR] [--home DIR]
      Starts the local cluster of DIR/cluster.nodes and DIR/cluster.cfg (default: config/local) on
      loopback, one process per data node, with data under --home (default: ./shoal-data). Ctrl-C stops it.`;

export async function runLocal(flag: (name: string) => string | undefined, shoalScript: string, repoRoot: string): Promise<void> {
  const dir = flag('--config-dir') ?? join(repoRoot, 'config', 'local');
  const home = resolve(flag('--home') ?? 'shoal-data');
  const nodesFile = join(dir, 'cluster.nodes');
  const clusterConfig = join(dir, 'cluster.cfg');
  const cluster = await loadClusterConfig({ nodesFile, clusterConfig });
  const dataNodes = cluster.nodes.nodes.filter((n) => n.mode === 'datanode');
  mkdirSync(home, { recursive: true });
  console.log(`Shoal local cluster: ${dataNodes.length} data nodes, config ${dir}, data under ${home}`);
  for (const g of cluster.streamingRaftGroups) console.log(`  raft group ${g.id}: ${g.members.join(', ')}`);
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  for (const n of dataNodes) {
    const child = spawn(process.execPath, [shoalScript, '-mode', 'datanode', '-home', home, '-nodesFile', nodesFile, '-clusterConfig', clusterConfig, '-alias', n.alias, '-logFile', join(home, `${n.alias}.log`)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.set(n.alias, child);
    child.stdout!.on('data', (d: Buffer) => process.stdout.write(d.toString().split('\n').filter((l) => l).map((l) => `[${n.alias}] ${l}\n`).join('')));
    child.on('exit', (code, signal) => {
      children.delete(n.alias);
      if (!stopping) console.log(`[${n.alias}] exited (${signal ?? `code ${code}`}); log: ${join(home, `${n.alias}.log`)}`);
      if (stopping && children.size === 0) process.exit(0);
    });
  }
  console.log('Connect a client to any of:');
  for (const n of dataNodes) console.log(`  ws://${n.host}:${n.port}/client   (${n.alias}; cluster page: http://${n.host}:${n.port}/ ; Prometheus: /metrics)`);
  console.log('  user admin, password as set by adminPassword in cluster.cfg. Ctrl-C stops the cluster.');
  console.log('In another terminal: `npm run shoal -- status` shows nodes, groups and leaders; `npm run example` kills a leader under load and shows nothing is lost.');
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping the local cluster...');
    for (const c of children.values()) c.kill('SIGTERM');
    if (children.size === 0) process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop); // the terminal went away
  // However this process ends (an uncaught error, a closed stdout pipe), its nodes must not outlive it.
  process.on('exit', () => {
    for (const c of children.values()) c.kill('SIGTERM');
  });
  process.stdout.on('error', () => stop()); // e.g. `shoal local | head`: the reader left
}
