// Pure: what an HA client does after a call failed -- give the error to the caller, resend at the
// leader a NotLeader names, back off and retry, try the next site, or report that the call may or may
// not have run -- and how long it waits before the next try. Whether a call may be sent twice decides
// what a broken connection means for it: appends carry a producer id and sequence (the group applies
// each sequence once), reads change nothing, and setStreamTableFilterColumn / removeTopicOffset end
// in the same state however often they run; creating or dropping a table does not.

import { Method } from '../broker/protocol/methods.js';
import { ShoalError } from './shoal_error.js';

/** Calls that may be sent again after a broken connection, whether or not the first one ran. */
export const REPEATABLE_METHODS: ReadonlySet<Method> = new Set<Method>([
  'append', // exactly once by producer id + sequence
  'getPersistenceMeta', 'readTable', 'listTables', 'getStreamingRaftGroups', 'getStreamingLeader',
  'getTopicProcessedOffset', 'getStreamingStat',
  'setStreamTableFilterColumn', 'removeTopicOffset', // idempotent writes
]);

/** Calls only a group's leader serves (they may answer NotLeader): a success there tells who leads. */
export const LEADER_METHODS: ReadonlySet<Method> = new Set<Method>([
  'haStreamTable', 'setStreamTableFilterColumn', 'append', 'readTable', 'dropStreamTable',
  'getTopicProcessedOffset', 'removeTopicOffset', 'ackOffset',
]);

/**
 * Reads about one table that any member serves: they go to the table's known leader first (a follower
 * may not have applied a table its leader just created), without teaching the router who leads.
 */
export const TABLE_READ_METHODS: ReadonlySet<Method> = new Set<Method>(['getPersistenceMeta']);

/** What to do for a call that failed. */
export type FailoverStep =
  /** Terminal: the caller gets the error as it is. */
  | { kind: 'fail' }
  /** NotLeader naming the leader: the call did not run; resend it there at once. */
  | { kind: 'followLeader'; leader: string }
  /** The group is electing or the node is busy: wait a little, retry (at the next site when `rotate`). */
  | { kind: 'backOff'; rotate: boolean }
  /** The site cannot be reached (or its connection broke under a repeatable call): try the next site. */
  | { kind: 'siteDown' }
  /** The connection broke after a call that is not repeatable was sent: it may or may not have run. */
  | { kind: 'outcomeUnknown' };

export interface FailoverMode {
  /** true: follow NotLeader and wait out elections too; false (reconnect only): only connection failures are retried. */
  highAvailability: boolean;
  /** The failure came while opening the site's connection (connect, login, startup), before the call was sent. */
  connecting: boolean;
}

export function failoverStep(method: Method | undefined, err: unknown, mode: FailoverMode): FailoverStep {
  if (!(err instanceof ShoalError)) return { kind: 'fail' };
  if (mode.connecting) {
    // A wrong password is wrong at every site; anything else about opening a connection is the site's.
    return err.code === 'AuthFailed' || err.code === 'BadRequest' ? { kind: 'fail' } : { kind: 'siteDown' };
  }
  const repeatable = method !== undefined && REPEATABLE_METHODS.has(method);
  if (err.outcome === 'notSent') return err.code === 'ConnectionClosed' ? { kind: 'siteDown' } : { kind: 'fail' };
  if (err.outcome === 'unknown') return repeatable ? { kind: 'siteDown' } : { kind: 'outcomeUnknown' };
  if (!mode.highAvailability) return { kind: 'fail' };
  switch (err.code) {
    case 'NotLeader':
      return err.leader !== undefined ? { kind: 'followLeader', leader: err.leader } : { kind: 'backOff', rotate: true };
    case 'LeaderChanged': // overwritten before it committed: not applied
    case 'Busy':
      return { kind: 'backOff', rotate: false };
    case 'Unavailable': // the node is stopping: another member
      return { kind: 'backOff', rotate: true };
    case 'Timeout': // the node's own deadline: the write may or may not be applied
      return repeatable ? { kind: 'backOff', rotate: false } : { kind: 'outcomeUnknown' };
    default:
      return { kind: 'fail' };
  }
}

/** The first back-off wait; each one after doubles, up to reconnectIntervalMs. */
export const FIRST_BACKOFF_MS = 25;

/**
 * How long to wait before the next try. `backOffsInARow`: backOff steps since the last other step
 * (0 for the first). A pass over every site that just ended waits reconnectIntervalMs.
 */
export function retryDelayMs(step: FailoverStep, backOffsInARow: number, roundJustEnded: boolean, reconnectIntervalMs: number): number {
  if (roundJustEnded) return reconnectIntervalMs;
  if (step.kind === 'backOff') return Math.min(reconnectIntervalMs, FIRST_BACKOFF_MS * 2 ** Math.min(backOffsInARow, 20));
  return 0;
}

/** The failed try may have run on the node: it was sent and no answer came, or the node's own deadline passed. */
export function mayHaveRun(err: unknown): boolean {
  return err instanceof ShoalError && (err.outcome === 'unknown' || (err.code === 'Timeout' && err.outcome === undefined));
}

/** What to check after an OutcomeUnknown (or an Unreachable append that may have run), per call. */
export function outcomeAdvice(method: Method | undefined): string {
  switch (method) {
    case 'haStreamTable':
    case 'streamTable':
      return 'check with listTables whether the table exists before creating it again';
    case 'dropStreamTable':
      return 'check with listTables whether the table is gone before dropping it again';
    case 'append':
      return 'its rows may have been written, and appending them again (a new sequence) could write them twice: read the table (getPersistenceMeta, readTable) to check first';
    case 'unsubscribeTable':
      return 'the subscription may still exist on the node; unsubscribe again (UnknownTopic means it is gone)';
    default:
      return 'check the state it changes before sending it again';
  }
}
