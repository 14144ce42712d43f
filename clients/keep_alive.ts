// Keepalive for one connection: a node that stops answering (SIGSTOP, a cable pulled, a hung event
// loop) keeps its TCP connection up, so without pings a call would wait out requestTimeoutMs and a
// subscription would wait forever. Every quarter of keepAliveTimeMs the connection is pinged; when
// nothing (no pong, no frame) has come back for keepAliveTimeMs, it is declared dead -- so a silent
// node is abandoned between keepAliveTimeMs and 1.25 x keepAliveTimeMs after it went quiet. While
// the client itself stops reading the socket (a subscription whose handler is behind), pongs cannot
// be read either, so the check is suspended until reading resumes.

import { Clock } from './clock.js';

export const DEFAULT_KEEP_ALIVE_TIME_MS = 10_000;

export interface KeepAliveTarget {
  ping(): void;
  /** The peer has been silent for keepAliveTimeMs: drop the connection. Called at most once. */
  dead(reason: string): void;
}

export class KeepAlive {
  private lastHeardMs: number;
  private timer: unknown;
  private stopped = false;
  private suspended = false;

  constructor(
    private readonly target: KeepAliveTarget,
    private readonly keepAliveTimeMs: number,
    private readonly clock: Clock,
  ) {
    if (!(Number.isFinite(keepAliveTimeMs) && keepAliveTimeMs > 0)) throw new RangeError(`keepAliveTimeMs ${keepAliveTimeMs} must be > 0`);
    this.lastHeardMs = clock.nowMs();
    this.arm();
  }

  /** Something came from the peer (a pong or any frame): it is alive. */
  heard(): void {
    this.lastHeardMs = this.clock.nowMs();
  }

  /** The client stopped reading the socket: silence proves nothing until resume(). */
  suspend(): void {
    this.suspended = true;
  }

  resume(): void {
    this.suspended = false;
    this.heard(); // the peer gets a full keepAliveTimeMs from now
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = this.clock.setTimer(() => this.tick(), Math.max(1, Math.floor(this.keepAliveTimeMs / 4)));
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    if (this.suspended) {
      this.arm();
      return;
    }
    const silentMs = this.clock.nowMs() - this.lastHeardMs;
    if (silentMs >= this.keepAliveTimeMs) {
      this.stopped = true;
      this.target.dead(`no answer to keepalive pings for ${silentMs} ms (keepAliveTimeMs ${this.keepAliveTimeMs}); the node is paused, overloaded or unreachable`);
      return;
    }
    this.target.ping();
    this.arm();
  }
}
