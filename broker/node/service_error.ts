// The typed error every client-facing call of a data node answers with. Codes are the protocol's
// error codes (docs/protocol.md); the message says what happened and what to do.

import { CodedError } from '../../storage/state/errors.js';

export type ServiceErrorCode =
  | 'NotLeader' // this node does not lead the group: the message names the leader as <NotLeader>host:port:alias
  | 'AuthRequired'
  | 'AuthFailed'
  | 'BadRequest'
  | 'UnknownMethod'
  | 'UnknownTable'
  | 'TableExists'
  | 'UnknownGroup'
  | 'NotMember'
  | 'SchemaMismatch'
  | 'BatchTooLarge'
  | 'SubscriptionsExist'
  | 'SubscriptionExists'
  | 'UnknownTopic'
  | 'LeaderChanged' // a proposal was overwritten by a new leader: not applied, safe to retry
  | 'Timeout' // no outcome known
  | 'Busy' // over a queue limit: retry later
  | 'Unavailable' // the node is stopping or failed
  | 'Internal';

export class ServiceError extends CodedError<ServiceErrorCode> {
  override readonly name = 'ServiceError';
  /** The message without the `<CODE> ` prefix, for the wire's error text. */
  readonly text: string;
  constructor(code: ServiceErrorCode, text: string) {
    super(code, text);
    this.text = text;
  }
}

/** The NotLeader error whose text is exactly `<NotLeader>host:port:alias` (or `<NotLeader>` when unknown). */
export function notLeader(leaderSite: string | undefined): ServiceError {
  const e = new ServiceError('NotLeader', `<NotLeader>${leaderSite ?? ''}`);
  return e;
}
