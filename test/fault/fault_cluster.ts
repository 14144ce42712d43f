// Real data node processes on loopback with a TcpProxy on every directed peer link, for the fault
// suite (issue 6). Each node dials its peers through proxies (SHOAL_PEER_ROUTES), so the A->B proxy
// carries only A's Raft messages to B: cutting or dropping it is a one-way fault, both proxies of a
// pair a partition. Clients reach the nodes directly, never through a proxy. Processes are killed,
// paused and resumed by PID (TestCluster); a full disk is a small tmpfs at a node's data directory,
// mounted before the node starts, where this process may mount (root, and mount permitted).

import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { connect, ShoalError } from '../../clients/shoal_client.js';
import { CodedError, messageOf } from '../../storage/state/errors.js';
import { ADMIN_PASSWORD, TestCluster, sleep, waitFor } from '../node/cluster_harness.js';
import { TcpProxy, type ProxyMode } from './tcp_proxy.js';

/** A node by 0-based index or by alias ("dn2"). */
export type NodeRef = number | string;

export interface FaultClusterOptions {
  nodes: 3 | 5;
  /** Raft groups; members are 1-based node numbers (dn1 is 1), every node when left out. */
  groups: Array<{ id: number; members?: number[] }>;
  /** Client ports for the nodes, one per node (default: free ports). */
  seedPorts?: number[];
  /** What healAll() and waitUntilWritable() call to prove the cluster takes writes; default: one row appended to a scratch table per group. */
  probeWrite?: (c: FaultCluster) => Promise<void>;
  /** Mount a tmpfs per node so fillDisk() works (default true; only as root, and only where mount works). */
  diskFaults?: boolean;
  /** Size of each node's tmpfs: room for a run's WAL and state (a node that fills it by itself dies of ENOSPC). Default 256. */
  diskMiB?: number;
  /** More cluster.cfg lines. */
  extraConfig?: string[];
}

export type FaultClusterErrorCode = 'UNKNOWN_NODE' | 'BAD_PARTITION' | 'NO_LEADER' | 'NOT_WRITABLE' | 'BAD_OPTIONS';

export class FaultClusterError extends CodedError<FaultClusterErrorCode> {
  override readonly name = 'FaultClusterError';
}

/** fillDisk() where no tmpfs could be mounted: the caller reports the fault as skipped, with this message. */
export class DiskFaultsUnsupportedError extends CodedError<'DISK_FAULTS_UNSUPPORTED'> {
  override readonly name = 'DiskFaultsUnsupportedError';
}

export interface NodeExit {
  alias: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  atMs: number;
}

/** How a partition or isolation blocks a link: a silent black hole, or connections reset and refused. */
export type LinkFault = 'drop' | 'cut';

export const SCRATCH_TABLE_PREFIX = 'fault_probe_g';
const HEALTH_TIMEOUT_MS = 1000;
const PROBE_CALL_TIMEOUT_MS = 5000;
const DEFAULT_LEADER_TIMEOUT_MS = 20_000;
const DEFAULT_HEAL_TIMEOUT_MS = 60_000;
const NODE_START_TIMEOUT_MS = 20_000;
const LOG_TAIL_BYTES = 64 * 1024;
const MAX_EXITS_KEPT = 100;
const FILLER_FILE = 'fault-disk-filler';

export class FaultCluster {
  /** Aliases by index: aliases[0] is "dn1". */
  readonly aliases: string[];
  /** Client ports by index (the nodes' own ports; no proxy in between). */
  readonly ports: number[];
  /** Raft groups with their members' aliases. */
  readonly groups: Array<{ id: number; members: string[] }>;
  /** Whether fillDisk() can work here, and if not, why (diskFaultsReason). */
  diskFaultsSupported = false;
  diskFaultsReason = 'disk faults were not asked for (diskFaults: false)';
  private readonly proxies = new Map<string, TcpProxy>(); // by "from>to"
  private readonly paused = new Set<string>();
  private readonly mounted = new Set<string>(); // aliases whose data directory is a tmpfs
  private readonly diskFull = new Set<string>();
  private readonly exits: NodeExit[] = [];
  private readonly emergencyCleanup = () => this.cleanUpSynchronously();
  private destroyed = false;

  private constructor(
    private readonly cluster: TestCluster,
    groups: Array<{ id: number; members?: number[] }>,
    private readonly probeWrite: (c: FaultCluster) => Promise<void>,
  ) {
    this.aliases = cluster.nodes.map((n) => n.alias);
    this.ports = cluster.nodes.map((n) => n.port);
    this.groups = groups.map((g) => ({ id: g.id, members: (g.members ?? this.aliases.map((_, i) => i + 1)).map((m) => this.aliases[m - 1]!) }));
  }

  /** Writes the cluster files, starts a proxy per directed link, mounts the tmpfs disks if it can, and starts every node. */
  static async create(o: FaultClusterOptions): Promise<FaultCluster> {
    if (o.seedPorts !== undefined && o.seedPorts.length !== o.nodes) {
      throw new FaultClusterError('BAD_OPTIONS', `seedPorts has ${o.seedPorts.length} ports for ${o.nodes} nodes; give one per node or none`);
    }
    for (const g of o.groups) {
      for (const m of g.members ?? []) if (!(m >= 1 && m <= o.nodes)) throw new FaultClusterError('BAD_OPTIONS', `group ${g.id} names node ${m}; members are 1..${o.nodes}`);
    }
    const cluster = await TestCluster.create({ dataNodes: o.nodes, groups: o.groups, extraConfig: o.extraConfig });
    if (o.seedPorts !== undefined) useSeedPorts(cluster, o.seedPorts);
    const c = new FaultCluster(cluster, o.groups, o.probeWrite ?? appendToScratchTables);
    process.once('exit', c.emergencyCleanup);
    try {
      for (const from of c.aliases) {
        for (const to of c.aliases) {
          if (from === to) continue;
          c.proxies.set(linkKey(from, to), await TcpProxy.start({ target: { host: '127.0.0.1', port: c.ports[c.indexOf(to)]! } }));
        }
      }
      if (o.diskFaults !== false) c.mountDisks(o.diskMiB ?? 256);
      await Promise.all(c.aliases.map((a) => c.start(a)));
    } catch (err) {
      await c.destroy();
      throw err;
    }
    return c;
  }

  get home(): string {
    return this.cluster.home;
  }

  /** The proxy that carries `from`'s messages to `to`. */
  proxy(from: NodeRef, to: NodeRef): TcpProxy {
    const key = linkKey(this.aliasOf(from), this.aliasOf(to));
    const p = this.proxies.get(key);
    if (p === undefined) throw new FaultClusterError('UNKNOWN_NODE', `no proxy for ${key}: a node has no link to itself`);
    return p;
  }

  indexOf(ref: NodeRef): number {
    const i = typeof ref === 'number' ? ref : this.aliases.indexOf(ref);
    if (!(i >= 0 && i < this.aliases.length)) throw new FaultClusterError('UNKNOWN_NODE', `no node ${String(ref)}; nodes are ${this.aliases.join(', ')} (or 0..${this.aliases.length - 1})`);
    return i;
  }

  aliasOf(ref: NodeRef): string {
    return this.aliases[this.indexOf(ref)]!;
  }

  membersOf(group: number): string[] {
    const g = this.groups.find((x) => x.id === group);
    if (g === undefined) throw new FaultClusterError('BAD_OPTIONS', `no raft group ${group}; groups are ${this.groups.map((x) => x.id).join(', ')}`);
    return g.members;
  }

  isRunning(ref: NodeRef): boolean {
    return this.cluster.nodes[this.indexOf(ref)]!.child !== undefined;
  }

  isPaused(ref: NodeRef): boolean {
    return this.paused.has(this.aliasOf(ref));
  }

  /** Running and not paused: the node can answer. */
  isLive(ref: NodeRef): boolean {
    return this.isRunning(ref) && !this.isPaused(ref);
  }

  isDiskFull(ref: NodeRef): boolean {
    return this.diskFull.has(this.aliasOf(ref));
  }

  /** Every exit of a node process seen so far (the last MAX_EXITS_KEPT). */
  exitsOf(ref?: NodeRef): NodeExit[] {
    const alias = ref === undefined ? undefined : this.aliasOf(ref);
    return this.exits.filter((e) => alias === undefined || e.alias === alias);
  }

  // ---- processes -------------------------------------------------------------------------------

  /** Starts the node (dialling its peers through their proxies) and waits until it listens. */
  async start(ref: NodeRef): Promise<void> {
    const i = this.indexOf(ref);
    const alias = this.aliases[i]!;
    const routes = this.aliases.filter((a) => a !== alias).map((to) => `${to}=127.0.0.1:${this.proxy(alias, to).port}`).join(',');
    await this.cluster.start(i, NODE_START_TIMEOUT_MS, { env: { SHOAL_PEER_ROUTES: routes } });
    this.paused.delete(alias);
    const child = this.cluster.nodes[i]!.child!;
    child.once('exit', (code, signal) => {
      this.exits.push({ alias, code, signal, atMs: Date.now() });
      if (this.exits.length > MAX_EXITS_KEPT) this.exits.shift();
    });
  }

  /** SIGKILL (after SIGCONT, so a paused node dies too); resolves once the process is gone. */
  async kill(ref: NodeRef): Promise<void> {
    const i = this.indexOf(ref);
    await this.cluster.kill(i);
    this.paused.delete(this.aliases[i]!);
  }

  /** SIGTERM, a clean stop (SIGKILL after 10 s). */
  async stop(ref: NodeRef): Promise<void> {
    const i = this.indexOf(ref);
    await this.cluster.stop(i);
    this.paused.delete(this.aliases[i]!);
  }

  /** SIGSTOP: the process keeps its sockets but answers nothing until resume(). */
  pause(ref: NodeRef): void {
    const i = this.indexOf(ref);
    if (!this.isRunning(i)) return;
    this.cluster.pause(i);
    this.paused.add(this.aliases[i]!);
  }

  resume(ref: NodeRef): void {
    const i = this.indexOf(ref);
    this.cluster.resume(i);
    this.paused.delete(this.aliases[i]!);
  }

  /** Stops every member of the group (SIGTERM, or SIGKILL), then starts them all again. */
  async restartGroup(group: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const members = this.membersOf(group);
    await Promise.all(members.map((a) => (signal === 'SIGKILL' ? this.kill(a) : this.stop(a))));
    await Promise.all(members.map((a) => this.start(a)));
  }

  // ---- leaders ---------------------------------------------------------------------------------

  /** Each live member's view of the group's leader (alias, or '' for none), from its /health. */
  async leaderViews(group: number): Promise<Map<string, string>> {
    const members = this.membersOf(group).filter((a) => this.isLive(a));
    const views = await Promise.all(members.map(async (alias) => [alias, await this.leaderSeenBy(alias, group)] as const));
    return new Map(views.filter((v): v is readonly [string, string] => v[1] !== undefined));
  }

  /**
   * The group's leader: the running node a majority of the group's members name. An isolated old
   * leader that still believes in itself is outvoted by the majority that elected its successor.
   */
  async leaderOf(group: number, timeoutMs = DEFAULT_LEADER_TIMEOUT_MS): Promise<string> {
    const quorum = Math.floor(this.membersOf(group).length / 2) + 1;
    try {
      return await waitFor(`a leader of group ${group} named by ${quorum} members`, async () => {
        const votes = new Map<string, number>();
        for (const leader of (await this.leaderViews(group)).values()) if (leader !== '') votes.set(leader, (votes.get(leader) ?? 0) + 1);
        for (const [leader, count] of votes) if (count >= quorum && this.isRunning(leader)) return leader;
        return undefined;
      }, timeoutMs);
    } catch (err) {
      const views = await this.leaderViews(group).catch(() => new Map<string, string>());
      throw new FaultClusterError('NO_LEADER', `no leader of group ${group} within ${timeoutMs} ms (views: ${[...views].map(([a, l]) => `${a}->${l || 'none'}`).join(', ') || 'no live member'}; ${messageOf(err)}); see logsOf()`);
    }
  }

  private async leaderSeenBy(alias: string, group: number): Promise<string | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.ports[this.indexOf(alias)]}/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
      const body = (await res.json()) as { groups?: Array<{ id: number; leader: string }> };
      const site = body.groups?.find((g) => g.id === group)?.leader ?? '';
      return site === '' ? '' : site.split(':')[2] ?? '';
    } catch {
      return undefined; // not answering: starting, stopping, or about to die
    }
  }

  // ---- network ---------------------------------------------------------------------------------

  /**
   * Every node lands in exactly one side; nodes in different sides cannot reach each other (both
   * directions), nodes on the same side can. Replaces whatever the network was before.
   */
  partition(sides: string[][], how: LinkFault = 'drop'): void {
    const sideOf = new Map<string, number>();
    sides.forEach((side, s) => side.forEach((ref) => {
      const alias = this.aliasOf(ref);
      if (sideOf.has(alias)) throw new FaultClusterError('BAD_PARTITION', `${alias} is in two sides of the partition`);
      sideOf.set(alias, s);
    }));
    const missing = this.aliases.filter((a) => !sideOf.has(a));
    if (missing.length > 0) throw new FaultClusterError('BAD_PARTITION', `put ${missing.join(', ')} in a side of the partition (every node must be in one)`);
    for (const [key, proxy] of this.proxies) {
      const [from, to] = key.split('>') as [string, string];
      setLink(proxy, sideOf.get(from) === sideOf.get(to) ? 'pass' : how);
    }
  }

  /** The node's peer links, in and out, fail; its clients still reach it. Other links are left as they are. */
  isolate(ref: NodeRef, how: LinkFault = 'cut'): void {
    const alias = this.aliasOf(ref);
    for (const other of this.aliases) {
      if (other === alias) continue;
      setLink(this.proxy(alias, other), how);
      setLink(this.proxy(other, alias), how);
    }
  }

  /** `from`'s messages to `to` are lost; `to`'s messages to `from` still arrive. */
  oneWay(from: NodeRef, to: NodeRef, how: LinkFault = 'drop'): void {
    setLink(this.proxy(from, to), how);
  }

  /** Slows one directed link (every chunk forwarded `ms` later, in order). */
  delayLink(from: NodeRef, to: NodeRef, ms: number): void {
    this.proxy(from, to).delay(ms);
  }

  /** Every proxy passes again (connections that lost bytes are reset, and the nodes redial). */
  healNetwork(): void {
    for (const proxy of this.proxies.values()) proxy.pass();
  }

  // ---- disk ------------------------------------------------------------------------------------

  /** Fills the node's tmpfs to the last byte; its next WAL write fails with ENOSPC and the node exits. */
  fillDisk(ref: NodeRef): void {
    const alias = this.aliasOf(ref);
    if (!this.mounted.has(alias)) throw new DiskFaultsUnsupportedError('DISK_FAULTS_UNSUPPORTED', `no full disk on ${alias}: ${this.diskFaultsReason}`);
    const fd = openSync(join(this.home, alias, FILLER_FILE), 'a');
    try {
      for (const chunkBytes of [1 << 20, 4096, 512, 1]) {
        const chunk = Buffer.alloc(chunkBytes);
        try {
          for (;;) writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        }
      }
      if (fstatSync(fd).size === 0) throw new Error(`the tmpfs of ${alias} was already full`);
    } finally {
      closeSync(fd);
    }
    this.diskFull.add(alias);
  }

  /** Deletes the filler: the node's disk has room again (a node that died of it stays down until started). */
  freeDisk(ref: NodeRef): void {
    const alias = this.aliasOf(ref);
    const filler = join(this.home, alias, FILLER_FILE);
    if (existsSync(filler)) unlinkSync(filler);
    this.diskFull.delete(alias);
  }

  // ---- healing ---------------------------------------------------------------------------------

  /**
   * Network healed, paused nodes resumed, disks freed, dead nodes restarted; then waits until every
   * group has a leader and the cluster takes a write (probeWrite).
   */
  async healAll(timeoutMs = DEFAULT_HEAL_TIMEOUT_MS): Promise<void> {
    this.healNetwork();
    for (const alias of [...this.paused]) this.resume(alias);
    for (const alias of [...this.diskFull]) this.freeDisk(alias);
    await Promise.all(this.aliases.filter((a) => !this.isRunning(a)).map((a) => this.start(a)));
    await this.waitUntilWritable(timeoutMs);
  }

  /** Every group has a leader and probeWrite succeeds, retried until `timeoutMs`. */
  async waitUntilWritable(timeoutMs = DEFAULT_HEAL_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const g of this.groups) await this.leaderOf(g.id, Math.max(1000, deadline - Date.now()));
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        await this.probeWrite(this);
        return;
      } catch (err) {
        lastError = err;
        await sleep(200);
      }
    }
    throw new FaultClusterError('NOT_WRITABLE', `the cluster took no write within ${timeoutMs} ms after healing (last error: ${messageOf(lastError)}); see logsOf()`);
  }

  // ---- logs and teardown -----------------------------------------------------------------------

  /** The last lines of the node's log file and of its current process's stdout/stderr, for failure reports. */
  logsOf(ref: NodeRef, lines = 40): string {
    const i = this.indexOf(ref);
    const alias = this.aliases[i]!;
    const output = this.cluster.nodes[i]!.output.split('\n').filter((l) => l !== '').slice(-lines);
    return [`--- ${alias} log (last ${lines} lines)`, ...tailLines(join(this.home, `${alias}.log`), lines), `--- ${alias} stdout/stderr`, ...output].join('\n');
  }

  /** Kills every node by PID, closes the proxies, unmounts the disks and deletes the home (logs first copied to keepLogsIn). */
  async destroy(o: { keepLogsIn?: string } = {}): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all(this.aliases.map((_, i) => this.cluster.kill(i)));
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
    if (o.keepLogsIn !== undefined) {
      mkdirSync(o.keepLogsIn, { recursive: true });
      for (const a of this.aliases) {
        const log = join(this.home, `${a}.log`);
        if (existsSync(log)) copyFileSync(log, join(o.keepLogsIn, `${a}.log`));
      }
    }
    this.unmountDisks();
    await this.cluster.destroy();
    process.off('exit', this.emergencyCleanup);
  }

  private mountDisks(sizeMiB: number): void {
    if (process.getuid?.() !== 0) {
      this.diskFaultsReason = `mounting a tmpfs needs root (this process runs as uid ${process.getuid?.() ?? 'unknown'})`;
      return;
    }
    for (const alias of this.aliases) {
      const dir = join(this.home, alias);
      mkdirSync(dir, { recursive: true });
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
        this.mounted.add(alias);
      } catch (err) {
        const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
        this.diskFaultsReason = `mount -t tmpfs was refused (${stderr || messageOf(err)})`;
        this.unmountDisks();
        return;
      }
    }
    this.diskFaultsSupported = true;
    this.diskFaultsReason = '';
  }

  private unmountDisks(): void {
    for (const alias of [...this.mounted]) {
      const dir = join(this.home, alias);
      try {
        execFileSync('umount', [dir], { stdio: 'ignore' });
      } catch {
        try {
          execFileSync('umount', ['-l', dir], { stdio: 'ignore' }); // busy: detach now, free when the last file closes
        } catch {
          // nothing more can be done here; the directory is left mounted
        }
      }
      this.mounted.delete(alias);
    }
  }

  /** On a test process that exits without destroy(): no node outlives it, no mount is left behind. */
  private cleanUpSynchronously(): void {
    if (this.destroyed) return;
    for (const n of this.cluster.nodes) {
      n.child?.kill('SIGCONT');
      n.child?.kill('SIGKILL');
    }
    this.unmountDisks();
    rmSync(this.home, { recursive: true, force: true });
  }
}

function linkKey(from: string, to: string): string {
  return `${from}>${to}`;
}

function setLink(proxy: TcpProxy, how: 'pass' | LinkFault): void {
  const mode: ProxyMode = { kind: how };
  if (proxy.mode.kind !== how) proxy.setMode(mode);
}

/** The default probe: one row into a scratch table of each group, through its leader. */
async function appendToScratchTables(c: FaultCluster): Promise<void> {
  for (const g of c.groups) {
    const leader = await c.leaderOf(g.id);
    const client = await withTimeout(connect({ host: '127.0.0.1', port: c.ports[c.indexOf(leader)]!, userId: 'admin', password: ADMIN_PASSWORD, requestTimeoutMs: PROBE_CALL_TIMEOUT_MS }), `connecting to ${leader}`);
    try {
      const table = `${SCRATCH_TABLE_PREFIX}${g.id}`;
      await withTimeout(client.haStreamTable(g.id, [{ name: 'id', type: 'STRING' }], table, 1000), `creating ${table}`).catch((err: unknown) => {
        if (!(err instanceof ShoalError && err.code === 'TableExists')) throw err;
      });
      await withTimeout(client.append(table, { id: [`probe-${Date.now()}`] }), `appending to ${table}`);
    } finally {
      await client.close().catch(() => undefined);
    }
  }
}

function withTimeout<T>(p: Promise<T>, what: string, ms = PROBE_CALL_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The last `lines` lines of a file, reading at most LOG_TAIL_BYTES from its end. */
function tailLines(file: string, lines: number): string[] {
  if (!existsSync(file)) return ['(no log file)'];
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const bytes = Math.min(size, LOG_TAIL_BYTES);
    const buf = Buffer.alloc(bytes);
    readSync(fd, buf, 0, bytes, size - bytes);
    return buf.toString().split('\n').filter((l) => l !== '').slice(-lines);
  } finally {
    closeSync(fd);
  }
}

/**
 * TestCluster picks free ports; seedPorts replaces them in its nodes file (the groups name aliases,
 * not ports, so cluster.cfg is unchanged). Checked, so a change of the harness's layout fails loudly.
 */
function useSeedPorts(cluster: TestCluster, ports: number[]): void {
  const nodesFile = join(cluster.home, 'cluster.nodes');
  let text = readFileSync(nodesFile, 'utf8');
  cluster.nodes.forEach((n, i) => {
    const line = `127.0.0.1:${n.port}:${n.alias},datanode`;
    if (!text.includes(line)) throw new FaultClusterError('BAD_OPTIONS', `seedPorts: ${nodesFile} has no line "${line}"; the harness changed its layout`);
    text = text.replace(line, `127.0.0.1:${ports[i]}:${n.alias},datanode`);
    n.port = ports[i]!;
  });
  writeFileSync(nodesFile, text);
}
