// Where each call of a client goes, and what happens when it fails there. A call about a table goes to
// the site last known to lead the table's group, any other call to the home site (where the last such
// call worked). Without highAvailability or reconnect a call is sent once on the one connection and its
// error is the caller's. With them, failover_policy.ts decides after each failure: resend at the
// leader a NotLeader names, back off while the group elects, or walk on to the next site; after
// tryReconnectNums rounds over every site the call ends with Unreachable, listing each site and why
// it failed.

import { Method, RequestOf } from '../broker/protocol/methods.js';
import { messageOf } from '../storage/state/errors.js';
import { Clock } from './clock.js';
import { ConnectionPool, clientClosed } from './connection_pool.js';
import { FailoverStep, LEADER_METHODS, TABLE_READ_METHODS, failoverStep, mayHaveRun, outcomeAdvice, retryDelayMs } from './failover_policy.js';
import { LeaderMap, Route } from './leader_map.js';
import { ShoalError, reasonOf } from './shoal_error.js';
import { SiteAddress, SiteList, SiteRotation, parseSiteAddress } from './site_list.js';
import { CallReply, WireConnection } from './wire_connection.js';

/** NotLeader answers followed in a row before backing off (leaders can point in a circle mid-election). */
const MAX_LEADER_HOPS = 3;

export type FailoverKind = 'none' | 'reconnect' | 'highAvailability';

export interface CallRouterOptions {
  failover: FailoverKind;
  /** Rounds over every site before Unreachable; -1: never give up. */
  tryReconnectNums: number;
  reconnectIntervalMs: number;
  clock: Clock;
}

export class CallRouter {
  readonly leaders = new LeaderMap();
  private closed = false;
  private readonly sleepers = new Set<() => void>();

  constructor(
    readonly sites: SiteList,
    readonly pool: ConnectionPool,
    private readonly o: CallRouterOptions,
  ) {}

  /** Opens the home site's connection (with failover: the first site that works, in rounds). */
  async connectHome(): Promise<void> {
    await this.run(undefined, {}, async (conn) => conn);
  }

  /** Sends `method` where `route` says, following the failover rules. */
  call<M extends Method>(method: M, body: RequestOf<M>, route: Route = {}, arrow?: Uint8Array): Promise<CallReply<M>> {
    return this.run(method, route, (conn) => conn.call(method, body, arrow));
  }

  /** The site a call about `route` would go to first (always home without highAvailability: one site only). */
  targetOf(route: Route): SiteAddress {
    if (this.o.failover !== 'highAvailability') return this.sites.home;
    const leader = this.leaders.leaderOf(route);
    const site = leader === undefined ? undefined : parseSiteAddress(leader);
    return site === undefined ? this.sites.home : this.sites.add(site);
  }

  /** Wakes every back-off wait (its call rejects); later calls reject too. */
  close(): void {
    this.closed = true;
    for (const wake of [...this.sleepers]) wake();
  }

  private async run<T>(method: Method | undefined, route: Route, send: (conn: WireConnection) => Promise<T>): Promise<T> {
    const leaderRouted = method !== undefined && LEADER_METHODS.has(method);
    const tableRead = method !== undefined && TABLE_READ_METHODS.has(method);
    let target = leaderRouted || tableRead ? this.targetOf(route) : this.sites.home;
    if (this.o.failover === 'none') return send(await this.pool.get(target));
    /** Sites that answered UnknownTable for this call: the table may live (or be applied already) elsewhere. */
    const tableUnknownAt = new Set<string>();

    const rotation = new SiteRotation(this.sites, this.o.tryReconnectNums);
    let hops = 0;
    let backOffs = 0;
    /** Some try was sent and never answered: if the call ends Unreachable, it may have run all the same. */
    let sentUnanswered = false;
    for (;;) {
      if (this.closed) throw clientClosed();
      let connecting = true;
      let step: FailoverStep;
      let failure: unknown;
      try {
        const conn = await this.pool.get(target);
        connecting = false;
        const result = await send(conn);
        if (leaderRouted) this.leaders.learn(route, target.label);
        else this.sites.worked(target); // home moves only when a call about no table had to move
        return result;
      } catch (err) {
        failure = err;
        step = failoverStep(method, err, { highAvailability: this.o.failover === 'highAvailability', connecting });
        if (!connecting && mayHaveRun(err)) sentUnanswered = true;
      }
      if (this.closed) throw clientClosed();
      const notHere = failure instanceof ShoalError && (failure.code === 'UnknownTable' || failure.code === 'NotMember');
      if (this.o.failover === 'highAvailability' && (route.table !== undefined || route.group !== undefined) && notHere) {
        // Only the group's members know a table (a non-member answers UnknownTable, or NotMember for
        // the group), and a follower may not have applied its creation yet: ask every site once before
        // telling the caller.
        tableUnknownAt.add(target.key);
        const untried = this.sites.all.find((s) => !tableUnknownAt.has(s.key));
        if (untried !== undefined) {
          target = untried;
          continue;
        }
      }
      switch (step.kind) {
        case 'fail':
          throw failure;
        case 'outcomeUnknown':
          throw new ShoalError('OutcomeUnknown',
            `${method}: sent to ${target.label}, but ${messageOf(failure)}; it may or may not have taken effect: ${outcomeAdvice(method)}`,
            { cause: failure });
        case 'followLeader': {
          const leader = parseSiteAddress(step.leader);
          if (leader !== undefined && hops < MAX_LEADER_HOPS) {
            hops++;
            this.leaders.learn(route, step.leader);
            target = this.sites.add(leader);
            continue;
          }
          step = { kind: 'backOff', rotate: leader === undefined }; // a circle of NotLeaders: wait at the last named leader
          break;
        }
        default:
          break;
      }
      hops = 0;
      const next = rotation.failed(target, reasonOf(failure));
      if (step.kind === 'siteDown') {
        const down = target;
        this.leaders.forgetSite((s) => parseSiteAddress(s)?.key === down.key);
      }
      if (rotation.exhausted) throw this.unreachable(method, rotation, sentUnanswered);
      const rotate = step.kind === 'siteDown' || (step.kind === 'backOff' && step.rotate);
      if (rotate) target = next;
      const delay = retryDelayMs(step, backOffs, rotation.roundJustEnded, this.o.reconnectIntervalMs);
      backOffs = step.kind === 'backOff' ? backOffs + 1 : 0;
      if (delay > 0) await this.sleep(delay);
    }
  }

  private unreachable(method: Method | undefined, rotation: SiteRotation, sentUnanswered: boolean): ShoalError {
    const what = method ?? 'connect';
    const rounds = Math.max(1, this.o.tryReconnectNums);
    // Of the repeatable calls only append changes state in a way a second call would repeat (a new
    // sequence); the caller must hear that it may have been written before trying again.
    const fate = sentUnanswered && method === 'append' ? `; it was sent without an answer, so ${outcomeAdvice(method)}` : '';
    return new ShoalError('Unreachable',
      `${what}: no site could serve it in ${rounds} round(s) over ${this.sites.size} site(s) (tryReconnectNums ${rounds}): ` +
      `${rotation.describe()}; check that the data nodes run and are reachable from here, or raise tryReconnectNums${fate}`,
      { outcome: sentUnanswered ? 'unknown' : 'notSent' });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.sleepers.delete(wake);
        this.o.clock.clearTimer(handle);
        resolve();
      };
      const handle = this.o.clock.setTimer(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
