// Typed errors of the state store. Each has a stable `code` for callers to branch on and a message
// that says what happened and what to do about it.

/** What every typed error of storage/state and storage/snapshot shares: a `code`, and the message `<CODE> what to do`. */
export abstract class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`<${code}> ${message}`, options);
  }
}

/** The message of whatever was thrown, for wrapping it in a typed error. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export type StateStoreErrorCode =
  | 'OPEN_FAILED' // the directory could not be opened (missing permissions, not a directory, locked)
  | 'IO_ERROR' // a read, write or flush failed; the write was not applied
  | 'CLOSED' // the store was used after close()
  | 'INVALID_ARGUMENT'; // a caller passed an empty range, a negative limit, ...

export class StateStoreError extends CodedError<StateStoreErrorCode> {
  override readonly name = 'StateStoreError';
}

export type StateDecodeErrorCode =
  | 'TRUNCATED' // fewer bytes than the format needs
  | 'TRAILING_BYTES' // more bytes than the format needs
  | 'UNKNOWN_VERSION' // a value written by a newer Shoal, or garbage
  | 'BAD_KEY' // a key outside the keyspace of keys.ts
  | 'BAD_FIELD'; // a field out of its range (a zero-length name, an unsafe integer)

/** Bytes read back from the store (or a snapshot) do not decode. The store or the peer is corrupt or newer. */
export class StateDecodeError extends CodedError<StateDecodeErrorCode> {
  override readonly name = 'StateDecodeError';
}

export type StateWriterErrorCode =
  | 'WRITE_FAILED' // a store write or flush failed: the node must restart and replay from its checkpoint
  | 'QUEUE_OVERFLOW' // the caller kept enqueueing after enqueue() returned false
  | 'LSN_REGRESSION' // ops were enqueued for an LSN below one already enqueued
  | 'CLOSED'; // the writer was used after close()

export class StateWriterError extends CodedError<StateWriterErrorCode> {
  override readonly name = 'StateWriterError';
}
