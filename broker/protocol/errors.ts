// ProtocolError: bytes that are not a valid Shoal frame, or a body our code cannot represent.
// A server answers it with an ERROR frame (BadRequest or UnknownMethod) when requestId is known,
// and otherwise closes the connection; it never takes the node down.

import { CodedError } from '../../storage/state/errors.js';

export type ProtocolErrorCode =
  | 'MALFORMED_FRAME' // not protobuf, or not a Frame: truncated, wrong wire types, invalid UTF-8
  | 'UNKNOWN_METHOD' // a request or reply for a method (or a push kind) this version does not know
  | 'BAD_FIELD' // a well-formed frame with a value out of range: kind unset, an integer >= 2^53, a body that is not the method's
  | 'FRAME_TOO_LARGE'; // more bytes than the reader's maxFrameBytes

/** What the reader learnt of the frame before it failed, so the server can still answer the request. */
export interface ProtocolErrorContext {
  requestId?: number;
  method?: string;
  cause?: unknown;
}

export class ProtocolError extends CodedError<ProtocolErrorCode> {
  override readonly name = 'ProtocolError';
  /** The frame's request id, when the envelope decoded far enough to read it. */
  readonly requestId: number | undefined;
  /** The frame's method, when the envelope decoded far enough to read it. */
  readonly method: string | undefined;

  constructor(code: ProtocolErrorCode, message: string, context: ProtocolErrorContext = {}) {
    super(code, message, context.cause === undefined ? undefined : { cause: context.cause });
    this.requestId = context.requestId;
    this.method = context.method;
  }
}
