// The first subscribeTable of a subscription that reconnects: its first site (the table's known leader,
// else home) may be down at that moment. Like a call, it then walks over the client's sites: a
// NotLeader naming the leader is followed at once; a site that cannot be reached, is electing or is
// busy hands on to the next site; a site that does not know the table (not a member, or a follower
// that has not applied it yet) sends it to every other site once before the caller hears UnknownTable.
// After tryReconnectNums rounds over every site (waiting reconnectIntervalMs after each) it ends with
// Unreachable, listing each site and why it failed. Anything else (AuthFailed, BadRequest, ...) is final.

import { ShoalError, reasonOf } from './shoal_error.js';
import { SiteAddress, SiteList, SiteRotation, parseSiteAddress } from './site_list.js';

/** NotLeader answers followed in a row before that site counts as failed (leaders can point in a circle mid-election). */
const MAX_LEADER_HOPS = 3;

/** The client's sites and its failover bounds, which the first subscribe walks by. */
export interface FirstSubscribeBounds {
  /** The client's sites, "host:port" or "host:port:alias"; the walk starts at its origin, then the ones after it. */
  sites: readonly string[];
  /** Rounds over every site before Unreachable; -1 never gives up; 0 counts as 1. */
  tryReconnectNums: number;
  /** The wait after a round in which every site failed. */
  reconnectIntervalMs: number;
}

export interface WalkHooks {
  /** One subscribe attempt at `site`: resolves once subscribed there, rejects with why not. */
  attempt(site: SiteAddress): Promise<void>;
  /** Waits `ms`; resolves early when the subscription is no longer wanted. */
  sleep(ms: number): Promise<void>;
  /** False once unsubscribe() or the client's close() was called: the walk ends with ConnectionClosed. */
  wanted(): boolean;
}

/** What a failed attempt means for the walk. */
export type FirstSubscribeStep =
  | { kind: 'follow'; leader: SiteAddress }
  | { kind: 'nextSite' }
  | { kind: 'askOthers' }
  | { kind: 'fail' };

export function firstSubscribeStep(err: unknown): FirstSubscribeStep {
  if (!(err instanceof ShoalError)) return { kind: 'fail' };
  // NotLeader, or the subscription closed as it was made by a node that named its successor.
  const leader = err.leader === undefined ? undefined : parseSiteAddress(err.leader);
  if (leader !== undefined) return { kind: 'follow', leader };
  switch (err.code) {
    case 'ConnectFailed':
    case 'ConnectionClosed':
    case 'Timeout':
    case 'NotLeader': // no leader known yet: an election
    case 'Unavailable':
    case 'Busy':
    case 'LeaderChanged':
      return { kind: 'nextSite' };
    case 'UnknownTable':
    case 'NotMember': // as the call router does: only the group's members serve it
      return { kind: 'askOthers' };
    default:
      return { kind: 'fail' };
  }
}

/** Subscribes at `origin` or, failing that, at the client's other sites; `what` names it in errors ("table/action"). */
export async function subscribeOverSites(what: string, origin: SiteAddress, bounds: FirstSubscribeBounds, hooks: WalkHooks): Promise<void> {
  const list = new SiteList([origin, ...bounds.sites.flatMap((s) => parseSiteAddress(s) ?? [])]);
  const rotation = new SiteRotation(list, bounds.tryReconnectNums);
  const tableUnknownAt = new Set<string>();
  const dropped = (): ShoalError =>
    new ShoalError('ConnectionClosed', `subscribeTable ${what}: unsubscribed, or the client closed, while subscribing`, { outcome: 'notSent' });
  let target = list.all[0]!; // the origin, named with its alias when the client knows it
  let hops = 0;
  for (;;) {
    let failure: unknown;
    try {
      await hooks.attempt(target);
      return;
    } catch (err) {
      failure = err;
    }
    if (!hooks.wanted()) throw dropped();
    const step = firstSubscribeStep(failure);
    if (step.kind === 'fail') throw failure;
    if (step.kind === 'follow' && hops < MAX_LEADER_HOPS) {
      hops++;
      target = list.add(step.leader);
      continue;
    }
    if (step.kind === 'askOthers') {
      tableUnknownAt.add(target.key);
      const untried = list.all.find((s) => !tableUnknownAt.has(s.key));
      if (untried === undefined) throw failure;
      target = untried;
      continue;
    }
    hops = 0;
    const next = rotation.failed(target, reasonOf(failure));
    if (rotation.exhausted) {
      const rounds = Math.max(1, bounds.tryReconnectNums);
      throw new ShoalError('Unreachable',
        `subscribeTable ${what}: no site took the subscription in ${rounds} round(s) over ${list.size} site(s) (tryReconnectNums ${rounds}): ` +
        `${rotation.describe()}; check that the data nodes run and are reachable from here, or raise tryReconnectNums`);
    }
    if (rotation.roundJustEnded) {
      await hooks.sleep(bounds.reconnectIntervalMs);
      if (!hooks.wanted()) throw dropped();
    }
    target = next;
  }
}
