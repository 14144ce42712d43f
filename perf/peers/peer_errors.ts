// Typed errors of the benchmark's peers (a NATS JetStream cluster next to Shoal): each says what went
// wrong and what to do about it.

import { CodedError } from '../../storage/state/errors.js';

export type PeerErrorCode =
  | 'NOT_INSTALLED' // the peer's server binary is not on PATH
  | 'START_FAILED' // a server process exited (or could not be spawned) while the cluster was starting
  | 'START_TIMEOUT' // the servers did not all become ready, or JetStream found no leader, within the bound
  | 'BAD_CASE' // a write case the peer cannot run (zero writers, a payload over the server's limit, ...)
  | 'PUBLISH_FAILED' // JetStream answered a publish with an error, or acks stopped coming within the bound
  | 'COUNT_MISMATCH' // the stream does not hold exactly the rows the case acknowledged
  | 'BAD_MESSAGE'; // a row message does not decode with the schema it was given (truncated, trailing bytes)

export class PeerError extends CodedError<PeerErrorCode> {
  override readonly name = 'PeerError';
}
