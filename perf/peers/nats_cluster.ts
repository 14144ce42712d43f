// Three local nats-server processes in one cluster with JetStream on, for the benchmark's NATS peer.
// Everything listens on 127.0.0.1 only, on free ports; each server gets a config file, a store dir and
// a log file under the caller's directory.
//
// Durability, stated plainly: NATS 2.9 acknowledges a JetStream publish once the stream's Raft group
// (R3 here) has committed it, but does not fsync each write: its `sync_interval` defaults to 2 minutes.
// We leave it, and every other setting, at its default, so NATS runs as shipped: neither slowed down nor
// sped up. Shoal's benchmark fsyncs every acknowledged write on a majority; the figures are not the
// same guarantee (perf/peers/README.md says so too).

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { connect, NatsConnection, StorageType } from 'nats';
import { messageOf } from '../../storage/state/errors.js';
import { PeerError } from './peer_errors.js';

export interface NatsCluster {
  /** Client URLs, nats://127.0.0.1:<port>, one per server (n1, n2, n3). */
  urls: string[];
  pids: number[];
  /** SIGTERM each server, SIGKILL after STOP_GRACE_MS, and resolve once every process has exited. */
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  /** Config files, logs and JetStream stores go under it (created if missing). */
  dir: string;
  /** 3 unless told. */
  servers?: number;
  /** Bound on the whole start: processes up, clients accepted, JetStream leader elected (20 s unless told). */
  startTimeoutMs?: number;
}

const DEFAULT_SERVERS = 3;
const DEFAULT_START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const POLL_INTERVAL_MS = 100;
const PROBE_CONNECT_TIMEOUT_MS = 1_000;
/** A JetStream API request sent before the meta group has a leader gets no answer: ask again soon. */
const PROBE_REQUEST_TIMEOUT_MS = 1_000;
const LOG_TAIL_BYTES = 2_000;
const CLUSTER_NAME = 'shoal-bench';
const PATH_EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'];

/** Where the nats-server binary is (PATH, then the sbin dirs Debian uses), or undefined when absent. */
export function natsServerPath(): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter).filter((d) => d !== ''), ...PATH_EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, 'nats-server');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here: try the next directory
    }
  }
  return undefined;
}

/** Starts the servers and resolves once all accept clients and JetStream can place an R<servers> stream. */
export async function startNatsCluster(o: NatsClusterOptions): Promise<NatsCluster> {
  const binary = natsServerPath();
  if (binary === undefined) throw new PeerError('NOT_INSTALLED', 'nats-server is not on PATH (nor in /usr/sbin); install it: apt-get install nats-server');
  const servers = o.servers ?? DEFAULT_SERVERS;
  if (!Number.isInteger(servers) || servers < 1) throw new PeerError('BAD_CASE', `servers is ${servers}; give a whole number of at least 1`);
  const deadline = Date.now() + (o.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  fs.mkdirSync(o.dir, { recursive: true });

  const ports = await freePorts(servers * 2);
  const clientPorts = ports.slice(0, servers);
  const routePorts = ports.slice(servers);
  const names = clientPorts.map((_, i) => `n${i + 1}`);
  const children: ChildProcess[] = [];
  const exits: Promise<void>[] = [];
  let starting = true;
  let failStart: (err: Error) => void = () => {};
  const startFailed = new Promise<never>((_, reject) => (failStart = reject));
  startFailed.catch(() => {}); // observed by the race below; never an unhandled rejection

  const killAll = (): void => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killAll); // a benchmark that dies must not leave servers behind

  for (let i = 0; i < servers; i++) {
    const name = names[i]!;
    const configPath = path.join(o.dir, `${name}.conf`);
    fs.writeFileSync(configPath, serverConfig({
      name,
      clientPort: clientPorts[i]!,
      routePort: routePorts[i]!,
      routes: routePorts.filter((_, j) => j !== i),
      storeDir: path.join(o.dir, name),
    }));
    const logPath = path.join(o.dir, `${name}.log`);
    const log = fs.openSync(logPath, 'a');
    const child = spawn(binary, ['-c', configPath], { stdio: ['ignore', log, log] });
    fs.closeSync(log); // the child holds its own descriptor
    children.push(child);
    exits.push(new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        if (starting) failStart(new PeerError('START_FAILED', `nats-server ${name} exited (${signal ?? `code ${code}`}) while the cluster was starting; see ${logPath}:\n${logTail(logPath)}`));
        resolve();
      });
      child.once('error', (err) => {
        failStart(new PeerError('START_FAILED', `could not run ${binary} for ${name}: ${messageOf(err)}`, { cause: err }));
        resolve();
      });
    }));
  }

  const stop = async (): Promise<void> => {
    starting = false;
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (graceTimer = setTimeout(() => { killAll(); resolve(); }, STOP_GRACE_MS)));
    await Promise.race([Promise.all(exits), grace]);
    clearTimeout(graceTimer);
    await Promise.all(exits);
    process.off('exit', killAll);
  };

  const urls = clientPorts.map((p) => `nats://127.0.0.1:${p}`);
  try {
    await Promise.race([waitUntilReady(urls, servers, deadline), startFailed]);
  } catch (err) {
    await stop();
    throw err;
  }
  starting = false;
  return { urls, pids: children.map((c) => c.pid!), stop };
}

interface ServerConfig {
  name: string;
  clientPort: number;
  routePort: number;
  routes: number[];
  storeDir: string;
}

/** One server's config file: 127.0.0.1 only, JetStream on with its own store dir, routes to the others. */
export function serverConfig(c: ServerConfig): string {
  return [
    `server_name: ${c.name}`,
    `listen: "127.0.0.1:${c.clientPort}"`,
    // sync_interval is left at its default (2 min in 2.9): no fsync per write. See the file comment.
    `jetstream {`,
    `  store_dir: ${JSON.stringify(c.storeDir)}`,
    `}`,
    `cluster {`,
    `  name: ${CLUSTER_NAME}`,
    `  listen: "127.0.0.1:${c.routePort}"`,
    `  routes: [`,
    ...c.routes.map((p) => `    "nats-route://127.0.0.1:${p}"`),
    `  ]`,
    `}`,
    '',
  ].join('\n');
}

/**
 * Every server accepts a client and answers JetStream account info (so the meta group has a leader),
 * and a probe stream with one replica per server can be created and deleted (so every server has
 * joined JetStream). Retries until `deadline`.
 */
async function waitUntilReady(urls: string[], replicas: number, deadline: number): Promise<void> {
  let last = 'no attempt yet';
  const attempt = async (what: string, step: () => Promise<void>): Promise<void> => {
    for (;;) {
      try {
        await step();
        return;
      } catch (err) {
        last = `${what}: ${messageOf(err)}`;
      }
      if (Date.now() >= deadline) throw new PeerError('START_TIMEOUT', `the NATS cluster was not ready in time (last: ${last}); see the server logs beside the config files`);
      await sleep(POLL_INTERVAL_MS);
    }
  };
  for (const url of urls) {
    await attempt(`JetStream on ${url}`, () => withConnection(url, async (nc) => { await (await nc.jetstreamManager({ timeout: PROBE_REQUEST_TIMEOUT_MS })).getAccountInfo(); }));
  }
  await attempt('probe stream', () => withConnection(urls[0]!, async (nc) => {
    const jsm = await nc.jetstreamManager({ timeout: PROBE_REQUEST_TIMEOUT_MS });
    const name = 'SHOAL_BENCH_PROBE';
    await jsm.streams.add({ name, subjects: ['shoal.bench.probe'], storage: StorageType.File, num_replicas: replicas });
    await jsm.streams.delete(name);
  }));
}

async function withConnection(url: string, use: (nc: NatsConnection) => Promise<void>): Promise<void> {
  const nc = await connect({ servers: url, reconnect: false, timeout: PROBE_CONNECT_TIMEOUT_MS });
  try {
    await use(nc);
  } finally {
    await nc.close();
  }
}

/** `count` distinct free TCP ports on 127.0.0.1 (all held open together, so none repeats). */
async function freePorts(count: number): Promise<number[]> {
  const listeners: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      listeners.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return listeners.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(listeners.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function logTail(logPath: string): string {
  try {
    const text = fs.readFileSync(logPath, 'utf8');
    return text.slice(-LOG_TAIL_BYTES);
  } catch (err) {
    return `(log unreadable: ${messageOf(err)})`;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
