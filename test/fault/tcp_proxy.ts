// A TCP proxy on 127.0.0.1 for one directed peer link A->B (A dials it instead of B): the fault suite
// switches it at runtime between passing bytes, a black hole, a delay and a cut. Raft between data
// nodes runs over WebSockets on these connections, so the proxy never edits a byte stream: a
// connection that lost bytes (black hole, overflow) is reset before bytes flow again, as TCP would
// never deliver a stream with a hole in it.

import { Server, Socket, connect, createServer } from 'node:net';
import { CodedError } from '../../storage/state/errors.js';

/**
 * pass: forward as they come. drop: keep connections open, discard bytes both ways (a black hole).
 * delay: forward each chunk `ms` later, in order. cut: reset every connection and every new one.
 */
export type ProxyMode = { kind: 'pass' } | { kind: 'drop' } | { kind: 'delay'; ms: number } | { kind: 'cut' };

export interface TcpProxyOptions {
  /** Where connections are forwarded (B's real port). */
  target: { host: string; port: number };
  /** Port to listen on; default a free one chosen by the OS. */
  listenPort?: number;
  /** Bytes a delayed direction of one connection may hold; beyond it the connection is reset. Default 8 MiB. */
  maxDelayedBytesPerDirection?: number;
}

export interface TcpProxyStats {
  /** Connections open right now. */
  connections: number;
  accepted: number;
  /** Connections reset on arrival because the proxy was cut. */
  refused: number;
  bytesForwarded: number;
  bytesDropped: number;
  /** Bytes held by delayed directions right now. */
  bytesQueued: number;
  /** Connections reset because a delayed direction held more than its cap. */
  overflowResets: number;
  /** Connections reset when bytes flowed again after some were dropped. */
  holedResets: number;
}

export type TcpProxyErrorCode = 'BAD_MODE' | 'CLOSED';

export class TcpProxyError extends CodedError<TcpProxyErrorCode> {
  override readonly name = 'TcpProxyError';
}

export const DEFAULT_MAX_DELAYED_BYTES_PER_DIRECTION = 8 << 20;
/** How long the survivor of a half-closed connection may linger before it is reset. */
const CLOSE_GRACE_MS = 1000;

interface Delayed {
  bytes: Buffer;
  dueAtMs: number;
}

/** One direction of one proxied connection: bytes read from `from` are written to `to`. */
interface Direction {
  from: Socket;
  to: Socket;
  queue: Delayed[]; // invariant: in arrival order; nothing is written while anything is queued
  queuedBytes: number; // invariant: <= maxDelayedBytesPerDirection
  timer: NodeJS.Timeout | undefined;
  waitingForDrain: boolean;
  endPending: boolean; // `from` ended; end `to` once the queue is empty
}

/** A client connection and the connection the proxy opened to the target for it. */
interface ProxiedConnection {
  client: Socket;
  upstream: Socket;
  directions: [Direction, Direction];
  holed: boolean; // some bytes were dropped: the stream can never be whole again
  closed: boolean;
}

export class TcpProxy {
  private modeNow: ProxyMode = { kind: 'pass' };
  private readonly connections = new Set<ProxiedConnection>();
  private closing: Promise<void> | undefined;
  private readonly counters = { accepted: 0, refused: 0, bytesForwarded: 0, bytesDropped: 0, overflowResets: 0, holedResets: 0 };

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly o: Required<Pick<TcpProxyOptions, 'target' | 'maxDelayedBytesPerDirection'>>,
  ) {}

  /** Listens on 127.0.0.1 (a free port unless listenPort is given) and forwards to `target`. */
  static async start(o: TcpProxyOptions): Promise<TcpProxy> {
    const server = createServer({ allowHalfOpen: true });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.listenPort ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        if (address === null || typeof address === 'string') return reject(new Error('the proxy server has no TCP address'));
        resolve(address.port);
      });
    });
    const proxy = new TcpProxy(server, port, { target: o.target, maxDelayedBytesPerDirection: o.maxDelayedBytesPerDirection ?? DEFAULT_MAX_DELAYED_BYTES_PER_DIRECTION });
    server.on('connection', (socket) => proxy.accept(socket));
    return proxy;
  }

  get mode(): ProxyMode {
    return this.modeNow;
  }

  get target(): { host: string; port: number } {
    return this.o.target;
  }

  pass(): void {
    this.setMode({ kind: 'pass' });
  }

  drop(): void {
    this.setMode({ kind: 'drop' });
  }

  delay(ms: number): void {
    this.setMode({ kind: 'delay', ms });
  }

  cut(): void {
    this.setMode({ kind: 'cut' });
  }

  setMode(mode: ProxyMode): void {
    if (this.closing) throw new TcpProxyError('CLOSED', `the proxy on port ${this.port} is closed; start a new one`);
    if (mode.kind === 'delay' && !(Number.isFinite(mode.ms) && mode.ms >= 0)) {
      throw new TcpProxyError('BAD_MODE', `delay needs a finite number of milliseconds >= 0, got ${mode.ms}`);
    }
    this.modeNow = mode;
    for (const c of [...this.connections]) {
      if (mode.kind === 'cut') this.reset(c);
      else if (mode.kind === 'drop') for (const d of c.directions) this.discardQueue(c, d);
      else if (c.holed) {
        this.counters.holedResets++;
        this.reset(c);
      }
    }
  }

  stats(): TcpProxyStats {
    let bytesQueued = 0;
    for (const c of this.connections) for (const d of c.directions) bytesQueued += d.queuedBytes;
    return { connections: this.connections.size, bytesQueued, ...this.counters };
  }

  /** Resets every connection and stops listening; the port is free once this resolves. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const c of [...this.connections]) this.reset(c);
    });
    return this.closing;
  }

  private accept(client: Socket): void {
    if (this.closing || this.modeNow.kind === 'cut') {
      this.counters.refused++;
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    this.counters.accepted++;
    const upstream = connect({ host: this.o.target.host, port: this.o.target.port, allowHalfOpen: true });
    const direction = (from: Socket, to: Socket): Direction => ({ from, to, queue: [], queuedBytes: 0, timer: undefined, waitingForDrain: false, endPending: false });
    const c: ProxiedConnection = { client, upstream, directions: [direction(client, upstream), direction(upstream, client)], holed: false, closed: false };
    this.connections.add(c);
    for (const d of c.directions) {
      d.from.on('data', (chunk: Buffer) => this.onData(c, d, chunk));
      d.from.on('end', () => this.onEnd(c, d));
      d.from.on('error', () => this.reset(c));
      d.from.on('close', () => this.onClose(c));
    }
  }

  private onData(c: ProxiedConnection, d: Direction, chunk: Buffer): void {
    const mode = this.modeNow;
    if (mode.kind === 'drop' || mode.kind === 'cut') {
      this.counters.bytesDropped += chunk.byteLength;
      c.holed = true;
      return;
    }
    if (mode.kind === 'pass' && d.queue.length === 0 && !d.waitingForDrain) {
      this.write(d, chunk);
      return;
    }
    if (d.queuedBytes + chunk.byteLength > this.o.maxDelayedBytesPerDirection) {
      // Dropping only the excess would leave a hole in the stream; a reset is what a peer can handle.
      this.counters.overflowResets++;
      this.counters.bytesDropped += chunk.byteLength + d.queuedBytes;
      this.reset(c);
      return;
    }
    d.queue.push({ bytes: chunk, dueAtMs: Date.now() + (mode.kind === 'delay' ? mode.ms : 0) });
    d.queuedBytes += chunk.byteLength;
    this.scheduleFlush(c, d);
  }

  private onEnd(c: ProxiedConnection, d: Direction): void {
    if (this.modeNow.kind === 'drop') {
      c.holed = true; // a black hole swallows the FIN too; the link is reset on heal
      return;
    }
    if (d.queue.length === 0 && !d.waitingForDrain) d.to.end();
    else d.endPending = true;
  }

  private onClose(c: ProxiedConnection): void {
    if (c.client.destroyed && c.upstream.destroyed) {
      this.connections.delete(c);
      c.closed = true;
      for (const d of c.directions) clearTimeout(d.timer);
      return;
    }
    // One side went away: in a black hole the other side must not learn of it; otherwise it follows,
    // gracefully (what was written still arrives), and is reset if it lingers.
    if (this.modeNow.kind === 'drop') {
      c.holed = true;
      return;
    }
    for (const s of [c.client, c.upstream]) if (!s.destroyed) s.end();
    setTimeout(() => { if (!c.closed) this.reset(c); }, CLOSE_GRACE_MS).unref();
  }

  private write(d: Direction, bytes: Buffer): void {
    this.counters.bytesForwarded += bytes.byteLength;
    if (!d.to.write(bytes)) {
      // Backpressure: stop reading the sender until the receiver drains.
      d.waitingForDrain = true;
      d.from.pause();
      d.to.once('drain', () => {
        d.waitingForDrain = false;
        d.from.resume();
        this.flushDue(d);
      });
    }
  }

  private scheduleFlush(c: ProxiedConnection, d: Direction): void {
    if (d.timer !== undefined || d.waitingForDrain || d.queue.length === 0 || c.closed) return;
    d.timer = setTimeout(() => {
      d.timer = undefined;
      this.flushDue(d);
      this.scheduleFlush(c, d);
    }, Math.max(0, d.queue[0]!.dueAtMs - Date.now()));
  }

  /** Writes every queued chunk whose time has come, in order, until the receiver pushes back. */
  private flushDue(d: Direction): void {
    const now = Date.now();
    while (d.queue.length > 0 && d.queue[0]!.dueAtMs <= now && !d.waitingForDrain) {
      const next = d.queue.shift()!;
      d.queuedBytes -= next.bytes.byteLength;
      this.write(d, next.bytes);
    }
    if (d.queue.length === 0 && !d.waitingForDrain && d.endPending) {
      d.endPending = false;
      d.to.end();
    }
  }

  private discardQueue(c: ProxiedConnection, d: Direction): void {
    if (d.queuedBytes === 0) return;
    this.counters.bytesDropped += d.queuedBytes;
    d.queue = [];
    d.queuedBytes = 0;
    clearTimeout(d.timer);
    d.timer = undefined;
    c.holed = true;
  }

  /** Both sockets reset (RST): each side sees the connection fail, as after a network cut. */
  private reset(c: ProxiedConnection): void {
    for (const d of c.directions) {
      clearTimeout(d.timer);
      d.timer = undefined;
      d.queue = [];
      d.queuedBytes = 0;
    }
    for (const s of [c.client, c.upstream]) resetSocket(s);
  }
}

/** Closes the socket with an RST where it can, else plainly. */
export function resetSocket(s: Socket): void {
  if (s.destroyed) return;
  // An RST needs a connected socket that has not begun a shutdown (end()): with a FIN pending,
  // libuv refuses the reset (EINVAL) and Node 20 leaves the handle open and spinning.
  if (s.connecting || s.writableEnded) s.destroy();
  else s.resetAndDestroy();
}
