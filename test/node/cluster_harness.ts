// Real data node processes on loopback for integration tests: a temporary home, cluster files with
// free ports, and start / SIGKILL / SIGSTOP / SIGCONT / restart by PID. Every process is killed when
// the cluster stops, and each wait is bounded.

import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../server/net_helpers.js';
import { ConnectOptions, ShoalClient, connect } from '../../clients/index.js';

export { freePort };

const SHOAL = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'broker', 'cli', 'shoal.js');
export const ADMIN_PASSWORD = 'test-admin-pw';

export interface NodeProcess {
  alias: string;
  port: number;
  child: ChildProcess | undefined;
  output: string;
}


export class TestCluster {
  readonly nodes: NodeProcess[] = [];
  private readonly clients: ShoalClient[] = [];
  private constructor(readonly home: string, private readonly nodesFile: string, private readonly clusterFile: string) {}

  /** Writes cluster files for `dataNodes` data nodes and `groups` (each over every node unless given). */
  static async create(o: { dataNodes: number; groups: Array<{ id: number; members?: number[] }>; extraConfig?: string[] }): Promise<TestCluster> {
    const home = mkdtempSync(join(tmpdir(), 'shoal-it-'));
    const lines = ['localSite,mode'];
    const ports: number[] = [];
    for (let i = 1; i <= o.dataNodes; i++) {
      const port = await freePort();
      ports.push(port);
      lines.push(`127.0.0.1:${port}:dn${i},datanode`);
    }
    const nodesFile = join(home, 'cluster.nodes');
    writeFileSync(nodesFile, lines.join('\n') + '\n');
    const groups = o.groups.map((g) => `${g.id}:${(g.members ?? ports.map((_, i) => i + 1)).map((m) => `dn${m}`).join(':')}`).join(',');
    const clusterFile = join(home, 'cluster.cfg');
    writeFileSync(clusterFile, [
      'dataSync=1', `streamingRaftGroups=${groups}`, 'clusterSecret=integration-test-secret', `adminPassword=${ADMIN_PASSWORD}`,
      'streamingHAPurgeInterval=300', ...(o.extraConfig ?? []),
    ].join('\n') + '\n');
    const cluster = new TestCluster(home, nodesFile, clusterFile);
    ports.forEach((port, i) => cluster.nodes.push({ alias: `dn${i + 1}`, port, child: undefined, output: '' }));
    return cluster;
  }

  /**
   * Starts node i (0-based) and waits until it listens. `env` is added to this process's environment
   * (the fault suite passes SHOAL_PEER_ROUTES to put a proxy on each peer link); `nodeArgs` go to node
   * itself (the benchmark's --cpu-prof).
   */
  async start(i: number, timeoutMs = 20_000, options: { env?: Record<string, string>; nodeArgs?: string[] } = {}): Promise<void> {
    const n = this.nodes[i]!;
    if (n.child) throw new Error(`${n.alias} is already running`);
    const env = options.env === undefined ? process.env : { ...process.env, ...options.env };
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), SHOAL, '-mode', 'datanode', '-home', this.home, '-nodesFile', this.nodesFile, '-clusterConfig', this.clusterFile, '-alias', n.alias, '-logFile', join(this.home, `${n.alias}.log`)], { stdio: ['ignore', 'pipe', 'pipe'], env });
    n.child = child;
    n.output = '';
    child.stdout!.on('data', (d: Buffer) => (n.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (n.output += d.toString()));
    child.on('exit', () => { if (n.child === child) n.child = undefined; });
    const deadline = Date.now() + timeoutMs;
    while (!n.output.includes('ready on')) {
      if (!n.child) throw new Error(`${n.alias} exited while starting:\n${n.output}`);
      if (Date.now() > deadline) throw new Error(`${n.alias} did not start within ${timeoutMs} ms:\n${n.output}`);
      await sleep(20);
    }
  }

  async startAll(): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.start(i)));
  }

  /** SIGKILL: the process dies with whatever it had not synced. */
  async kill(i: number): Promise<void> {
    await this.signalAndWait(i, 'SIGKILL');
  }

  /** SIGTERM: a clean stop. */
  async stop(i: number): Promise<void> {
    await this.signalAndWait(i, 'SIGTERM');
  }

  pause(i: number): void {
    this.nodes[i]!.child?.kill('SIGSTOP');
  }

  resume(i: number): void {
    this.nodes[i]!.child?.kill('SIGCONT');
  }

  private async signalAndWait(i: number, signal: NodeJS.Signals): Promise<void> {
    const child = this.nodes[i]!.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill(signal);
    await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
    await exited;
  }

  /** A logged-in client of node i (no failover unless `extra` asks for it); destroy() closes it. */
  async client(i: number, extra: Partial<ConnectOptions> = {}): Promise<ShoalClient> {
    const c = await connect({ host: '127.0.0.1', port: this.nodes[i]!.port, userId: 'admin', password: ADMIN_PASSWORD, requestTimeoutMs: 10_000, ...extra });
    this.clients.push(c);
    return c;
  }

  /** The index of the running node leading `group`, asked of the running nodes until one names it. */
  async leaderIndex(group: number, timeoutMs = 20_000): Promise<number> {
    return waitFor(`a leader of group ${group}`, async () => {
      for (let i = 0; i < this.nodes.length; i++) {
        if (!this.nodes[i]!.child) continue;
        let c: ShoalClient | undefined;
        try {
          c = await connect({ host: '127.0.0.1', port: this.nodes[i]!.port, userId: 'admin', password: ADMIN_PASSWORD, requestTimeoutMs: 5_000 });
          const site = await c.getStreamingLeader(group);
          const idx = this.nodes.findIndex((n) => site.endsWith(`:${n.alias}`));
          if (idx >= 0 && this.nodes[idx]!.child) return idx;
        } catch {
          // paused, starting or electing: ask the next one
        } finally {
          await c?.close();
        }
      }
      return undefined;
    }, timeoutMs);
  }

  /** Closes every client made by client(), kills every process (by PID) and deletes the home directory. */
  async destroy(): Promise<void> {
    await Promise.allSettled(this.clients.splice(0).map((c) => c.close()));
    await Promise.all(this.nodes.map((_, i) => this.kill(i)));
    rmSync(this.home, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await sleep(50);
  }
}
