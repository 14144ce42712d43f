// ShoalError: every failure a client call can end with. `code` is the node's wire error code
// (NotLeader, AuthFailed, UnknownTable, ... -- broker/protocol/error_codes.ts) or one of the client's
// own codes below; branch on the code, show the message to people.

import { parseNotLeaderText, formatSite } from '../broker/protocol/error_codes.js';
import { TableError } from '../broker/table/errors.js';
import { CodedError, messageOf } from '../storage/state/errors.js';

/** Codes the client raises itself, beside the wire codes a node answers with. */
export type ClientErrorCode =
  | 'Timeout' // no reply within requestTimeoutMs; the call may or may not have taken effect
  | 'ConnectionClosed' // the socket closed before the reply came; reconnect (connect()) and retry
  | 'ConnectFailed' // the WebSocket could not be opened
  | 'TooManyPendingCalls' // over MAX_PENDING_CALLS (10000) calls in flight on one connection; await some first
  | 'StartupFailed' // the connect() option `startup` threw on a new connection (with HA: that site counts as failed)
  | 'BadReply' // the node answered with a reply this client cannot use (a version mismatch or a bug)
  // With highAvailability or reconnect: every site failed for tryReconnectNums rounds. The message lists
  // each site and the last reason it failed; check that the nodes run, or raise tryReconnectNums.
  // `outcome` 'unknown': a try was sent and never answered (an append may have been written).
  | 'Unreachable'
  // With highAvailability or reconnect: the connection broke after a call that is not safe to repeat
  // (haStreamTable, streamTable, dropStreamTable, unsubscribeTable) was sent, so it may or may not have
  // taken effect; the message says what to check (listTables, ...) before trying again.
  | 'OutcomeUnknown';

/**
 * What became of a request that got no answer from the node: 'notSent' -- it never left this client
 * (the connection was already down), so it did not run; 'unknown' -- it was sent and the connection
 * broke or the call timed out before the reply, so it may or may not have run. Undefined for errors
 * the node answered with.
 */
export type RequestOutcome = 'notSent' | 'unknown';

export class ShoalError extends CodedError<string> {
  override readonly name = 'ShoalError';
  /** For NotLeader: the leader as "host:port:alias"; undefined when the node knows none. */
  readonly leader?: string;
  /**
   * Set on the client's own Timeout and ConnectionClosed errors, and on Unreachable: whether the
   * request may have run ('unknown': some try was sent and never answered).
   */
  readonly outcome?: RequestOutcome;

  constructor(code: string, message: string, options?: { leader?: string; cause?: unknown; outcome?: RequestOutcome }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.leader !== undefined) this.leader = options.leader;
    if (options?.outcome !== undefined) this.outcome = options.outcome;
  }
}

/** The error an ERROR frame stands for; a NotLeader text gives `leader`. */
export function errorFromWire(code: string, text: string, method: string): ShoalError {
  if (code === 'NotLeader') {
    const parsed = parseNotLeaderText(text);
    const leader = parsed?.leader === undefined ? undefined : formatSite(parsed.leader);
    const where = leader === undefined ? 'no leader is known yet; retry shortly' : `send it to the leader ${leader}`;
    return new ShoalError('NotLeader', `${method}: this node does not lead the table's raft group; ${where} (${text})`, leader === undefined ? {} : { leader });
  }
  return new ShoalError(code === '' ? 'Internal' : code, `${method}: ${text}`);
}

/** A table library error raised while encoding or decoding rows, as the node would code it. */
export function errorFromTable(err: TableError): ShoalError {
  const code =
    err.code === 'BATCH_TOO_LARGE' ? 'BatchTooLarge'
    : err.code === 'BAD_SCHEMA' || err.code === 'BAD_TYPE' || err.code === 'BAD_KEY_COLUMN' ? 'BadRequest'
    : 'SchemaMismatch';
  return new ShoalError(code, err.message, { cause: err });
}

/** "Code: message" without the "<Code> " prefix the message starts with: why a site failed, in an Unreachable. */
export function reasonOf(err: unknown): string {
  if (err instanceof ShoalError) return `${err.code}: ${err.message.replace(/^<[^>]*> /, '')}`;
  return messageOf(err);
}
