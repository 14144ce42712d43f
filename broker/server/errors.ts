// Typed errors of the socket layer: the ones a caller of NodeServer or PeerLinks can cause or must handle.

import { CodedError } from '../../storage/state/errors.js';

export type ServerErrorCode =
  | 'BAD_OPTIONS' // an option is missing or out of range (empty cluster secret, zero frame limit, ...)
  | 'LISTEN_FAILED' // the port could not be bound (in use, no permission, unknown host)
  | 'UNKNOWN_PEER'; // a frame was addressed to a node id that is not in the configured peers

export class ServerError extends CodedError<ServerErrorCode> {
  override readonly name = 'ServerError';
}

/** Throws BAD_OPTIONS unless `value` is a positive integer; `name` is the option as the caller spelled it. */
export function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ServerError('BAD_OPTIONS', `${name} must be a positive integer, got ${value}; fix the node configuration`);
  }
}

/** Throws BAD_OPTIONS unless the cluster secret is set: an empty key would let anyone compute the proofs. */
export function requireClusterSecret(secret: string): void {
  if (secret.length === 0) {
    throw new ServerError('BAD_OPTIONS', 'the cluster secret is empty; set the same non-empty clusterSecret on every node');
  }
}
