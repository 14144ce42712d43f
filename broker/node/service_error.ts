// The typed error every client-facing call of a data node answers with. Codes are the protocol's
// error codes (docs/protocol.md); the message says what happened and what to do.

import { CodedError } from '../../storage/state/errors.js';
import { WireErrorCode, notLeaderText } from '../protocol/error_codes.js';

/** Every code a call can end with is a wire code (broker/protocol/error_codes.ts, docs/protocol.md). */
export type ServiceErrorCode = WireErrorCode;

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
  return new ServiceError('NotLeader', notLeaderText(leaderSite));
}
