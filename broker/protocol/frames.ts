// Client frames: one protobuf Frame (shoal.proto) per binary WebSocket message. The encoders are for
// our own code (a wrong body is a bug: BAD_FIELD); decodeFrame reads untrusted bytes and throws
// nothing but ProtocolError.
//
// Decoding does not copy: `arrow` (and any bytes field) is a view into the input. Copy the input
// first if its memory is reused, e.g. uWebSockets.js message buffers live only during the handler.

import { messageOf } from '../../storage/state/errors.js';
import { ProtocolError, ProtocolErrorContext } from './errors.js';
import {
  METHODS,
  Method,
  PUSH_KINDS,
  PushKind,
  PushOf,
  ReplyOf,
  RequestOf,
  isMethod,
  isPushKind,
} from './methods.js';
import { beyond2To53, checkUnsigned, isSafeBigInt, numberFromLong } from './numbers.js';
import { wire } from './wire.js';

export { ProtocolError } from './errors.js';
export type { ProtocolErrorCode } from './errors.js';
export { METHODS, PUSH_KINDS } from './methods.js';
export type { Method, PushKind, PushOf, ReplyOf, RequestOf } from './methods.js';

/** The largest frame decodeFrame accepts unless told otherwise. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

export type FrameKind = 'request' | 'reply' | 'error' | 'push';

interface FrameHeader {
  requestId: number; // 0 on pushes
  errorCode: string; // '' unless kind is 'error'
  errorText: string;
  dataVersion: number; // the applied LSN a reply reflects; 0 when n/a
  arrow?: Uint8Array; // present when the frame carries Arrow IPC bytes (never empty)
}

export type RequestFrame = { [M in Method]: FrameHeader & { kind: 'request'; method: M; body: RequestOf<M> } }[Method];
export type ReplyFrame = { [M in Method]: FrameHeader & { kind: 'reply'; method: M; body: ReplyOf<M> } }[Method];
export type PushFrame = { [P in PushKind]: FrameHeader & { kind: 'push'; method: P; body: PushOf<P> } }[PushKind];
/** An ERROR frame echoes the request's method, which may be one this version does not know. */
export type ErrorFrame = FrameHeader & { kind: 'error'; method: string; body: undefined };
/** A decoded frame; narrow on `kind`, then on `method`, to get the typed body. */
export type DecodedFrame = RequestFrame | ReplyFrame | ErrorFrame | PushFrame;

const KIND = wire.v1.Kind;
const KIND_TO_WIRE: Record<FrameKind, number> = {
  request: KIND.KIND_REQUEST,
  reply: KIND.KIND_REPLY,
  error: KIND.KIND_ERROR,
  push: KIND.KIND_PUSH,
};
const KIND_FROM_WIRE = new Map<number, FrameKind>(Object.entries(KIND_TO_WIRE).map(([k, v]) => [v, k as FrameKind]));

// ---- body slots: which oneof member and which generated class carry each body ----

/** The part of a pbjs-generated message class this file uses. */
interface GeneratedBodyType {
  new (): object;
  verify(body: object): string | null;
  toObject(message: object, options: object): Record<string, unknown>;
}

interface BodySlot {
  field: string; // the member of Frame's `body` oneof, e.g. appendRequest
  type: GeneratedBodyType;
}

function bodySlot(typeName: string, field: string): BodySlot {
  const type = (wire.v1 as unknown as Record<string, GeneratedBodyType | undefined>)[typeName];
  // The naming convention is the contract between methods.ts and shoal.proto; break it loudly at load.
  if (type === undefined || !(field in wire.v1.Frame.prototype)) {
    throw new Error(`shoal.proto lacks message ${typeName} or Frame.${field}; fix the .proto and run broker/protocol/generate.sh`);
  }
  return { field, type };
}

const capitalized = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);
const REQUEST_SLOTS = new Map<string, BodySlot>(METHODS.map((m) => [m, bodySlot(`${capitalized(m)}Request`, `${m}Request`)]));
const REPLY_SLOTS = new Map<string, BodySlot>(METHODS.map((m) => [m, bodySlot(`${capitalized(m)}Reply`, `${m}Reply`)]));
const PUSH_SLOTS = new Map<string, BodySlot>(PUSH_KINDS.map((p) => [p, bodySlot(`${capitalized(p)}Push`, `${p}Push`)]));

// ---- encoding ----

export function encodeRequest<M extends Method>(requestId: number, method: M, body: RequestOf<M>, arrow?: Uint8Array): Uint8Array {
  return encodeWithBody('request', requestId, method, REQUEST_SLOTS.get(method), body, 0, arrow);
}

export function encodeReply<M extends Method>(
  requestId: number,
  method: M,
  body: ReplyOf<M>,
  dataVersion = 0,
  arrow?: Uint8Array,
): Uint8Array {
  return encodeWithBody('reply', requestId, method, REPLY_SLOTS.get(method), body, dataVersion, arrow);
}

export function encodePush<P extends PushKind>(kind: P, body: PushOf<P>, arrow?: Uint8Array): Uint8Array {
  return encodeWithBody('push', 0, kind, PUSH_SLOTS.get(kind), body, 0, arrow);
}

/** An ERROR frame answering `requestId`; `code` is one of WIRE_ERROR_CODES (error_codes.ts). */
export function encodeError(requestId: number, method: string, code: string, text: string): Uint8Array {
  checkUnsigned(requestId, 'request_id', 64);
  return wire.v1.Frame.encode({ requestId, kind: KIND_TO_WIRE.error, method, errorCode: code, errorText: text }).finish();
}

function encodeWithBody(
  kind: FrameKind,
  requestId: number,
  method: string,
  slot: BodySlot | undefined,
  body: object,
  dataVersion: number,
  arrow: Uint8Array | undefined,
): Uint8Array {
  if (slot === undefined) throw new ProtocolError('UNKNOWN_METHOD', `cannot encode a ${kind} for unknown method ${JSON.stringify(method)}`);
  checkUnsigned(requestId, 'request_id', 64);
  checkUnsigned(dataVersion, 'data_version', 64);
  const problem = slot.type.verify(body);
  if (problem !== null) throw new ProtocolError('BAD_FIELD', `cannot encode the ${method} ${kind}: ${problem}`);
  const envelope = wire.v1.Frame.encode({ requestId, kind: KIND_TO_WIRE[kind], method, dataVersion, [slot.field]: body }).finish();
  return arrow === undefined || arrow.byteLength === 0 ? envelope : withArrowField(envelope, arrow);
}

const ARROW_TAG = 20 * 8 + 2; // field 20, length-delimited
const ARROW_PADDING_TAG = 19 * 8 + 2; // field 19, length-delimited
const TAG_BYTES = 2; // both tags are above 15: two-byte varints
/** Where the Arrow bytes start in a frame: Arrow aligns its buffers to 8 bytes within the stream. */
const ARROW_ALIGNMENT = 8;

/**
 * Appends the arrow field to an encoded envelope. Protobuf fields may come in any order, so this is
 * the frame protobufjs would write, made with one exact allocation and one copy of the (large) Arrow
 * bytes; protobufjs's growing buffer copied them three times. An arrow_padding field before it puts
 * the Arrow bytes at a multiple of 8 in the frame, so a node that copies a frame to a fresh buffer
 * (uWebSockets.js's data dies with its callback) checks and reads the columns in place.
 */
function withArrowField(envelope: Uint8Array, arrow: Uint8Array): Uint8Array {
  const length = arrow.byteLength;
  let lengthBytes = 1;
  for (let rest = length >>> 7; rest > 0; rest >>>= 7) lengthBytes++;
  const paddingHeader = TAG_BYTES + 1; // its length (0..7) is one byte
  const padding = (ARROW_ALIGNMENT - ((envelope.byteLength + paddingHeader + TAG_BYTES + lengthBytes) % ARROW_ALIGNMENT)) % ARROW_ALIGNMENT;
  const out = Buffer.allocUnsafe(envelope.byteLength + paddingHeader + padding + TAG_BYTES + lengthBytes + length); // every byte is written below
  out.set(envelope, 0);
  let pos = envelope.byteLength;
  out[pos++] = (ARROW_PADDING_TAG & 0x7f) | 0x80;
  out[pos++] = ARROW_PADDING_TAG >>> 7;
  out[pos++] = padding;
  out.fill(0, pos, pos + padding);
  pos += padding;
  out[pos++] = (ARROW_TAG & 0x7f) | 0x80;
  out[pos++] = ARROW_TAG >>> 7;
  for (let rest = length; ; rest >>>= 7) {
    if (rest < 0x80) {
      out[pos++] = rest;
      break;
    }
    out[pos++] = (rest & 0x7f) | 0x80;
  }
  out.set(arrow, pos);
  return out;
}

// ---- decoding ----

/** 64-bit fields come back as BigInt (exact), then become numbers only when below 2^53. */
const TO_OBJECT_OPTIONS = { defaults: true, longs: BigInt };

/** Decodes one frame of untrusted bytes. Anything wrong with them is a ProtocolError, nothing else. */
export function decodeFrame(bytes: Uint8Array, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): DecodedFrame {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError('MALFORMED_FRAME', 'a frame must be a Uint8Array of protobuf bytes');
  if (bytes.byteLength > maxFrameBytes) {
    throw new ProtocolError('FRAME_TOO_LARGE', `frame of ${bytes.byteLength} bytes exceeds the limit of ${maxFrameBytes}; send smaller batches`);
  }
  let frame: ReturnType<typeof wire.v1.Frame.decode>;
  try {
    frame = wire.v1.Frame.decode(bytes);
  } catch (err) {
    throw new ProtocolError('MALFORMED_FRAME', `not a Shoal frame: ${messageOf(err)}`, { cause: err });
  }
  const requestId = numberFromLong(frame.requestId, 'request_id');
  const method = frame.method;
  const context: ProtocolErrorContext = { requestId, method };
  const header: FrameHeader = {
    requestId,
    errorCode: frame.errorCode,
    errorText: frame.errorText,
    dataVersion: numberFromLong(frame.dataVersion, 'data_version', context),
  };
  if (frame.arrow.byteLength > 0) header.arrow = frame.arrow;

  const kind = KIND_FROM_WIRE.get(frame.kind);
  switch (kind) {
    case 'error':
      return { ...header, kind, method, body: undefined };
    case 'request':
      if (!isMethod(method)) throw unknownMethod(kind, method, context);
      return { ...header, kind, method, body: readBody(frame, REQUEST_SLOTS.get(method)!, kind, context) } as RequestFrame;
    case 'reply':
      if (!isMethod(method)) throw unknownMethod(kind, method, context);
      return { ...header, kind, method, body: readBody(frame, REPLY_SLOTS.get(method)!, kind, context) } as ReplyFrame;
    case 'push':
      if (!isPushKind(method)) throw unknownMethod(kind, method, context);
      return { ...header, kind, method, body: readBody(frame, PUSH_SLOTS.get(method)!, kind, context) } as PushFrame;
    default:
      throw new ProtocolError('BAD_FIELD', `frame kind ${frame.kind} is not REQUEST, REPLY, ERROR or PUSH`, context);
  }
}

function unknownMethod(kind: FrameKind, method: string, context: ProtocolErrorContext): ProtocolError {
  const known = kind === 'push' ? PUSH_KINDS.join(', ') : 'docs/protocol.md lists them';
  return new ProtocolError('UNKNOWN_METHOD', `unknown ${kind === 'push' ? 'push' : 'method'} ${JSON.stringify(method)} (${known})`, context);
}

function readBody(frame: object, slot: BodySlot, kind: FrameKind, context: ProtocolErrorContext): Record<string, unknown> {
  const carried = (frame as { body?: string }).body;
  if (carried !== undefined && carried !== slot.field) {
    throw new ProtocolError('BAD_FIELD', `a ${context.method} ${kind} must carry ${slot.field}, not ${carried}`, context);
  }
  // An empty body may be left out of the frame: it reads as every field at its default.
  const message = carried === undefined ? new slot.type() : ((frame as Record<string, unknown>)[slot.field] as object);
  const body = slot.type.toObject(message, TO_OBJECT_OPTIONS);
  toPlainNumbers(body, `${context.method} ${kind}`, context);
  if (kind === 'request' && context.method === 'subscribeTable') checkFilterValues(body, context);
  return body;
}

/**
 * Replaces, in place, every BigInt (a 64-bit field) in a toObject() result by an exact number. A rows push
 * carries an offset per row, so arrays are walked by index and a field's path is spelt only in an error.
 */
function toPlainNumbers(value: Record<string, unknown> | unknown[], path: string, context: ProtocolErrorContext): void {
  const keys = Array.isArray(value) ? undefined : Object.keys(value);
  const count = keys === undefined ? (value as unknown[]).length : keys.length;
  const target = value as Record<string | number, unknown>;
  for (let i = 0; i < count; i++) {
    const key = keys === undefined ? i : keys[i]!;
    const child = target[key];
    if (typeof child === 'bigint') {
      if (!isSafeBigInt(child)) throw beyond2To53(`${path}.${key}`, child, context);
      target[key] = Number(child);
    } else if (typeof child === 'object' && child !== null && !ArrayBuffer.isView(child)) {
      toPlainNumbers(child as Record<string, unknown>, `${path}.${key}`, context);
    }
  }
}

const FILTER_MEMBERS = ['stringValue', 'int64Value', 'doubleValue', 'boolValue'];

function checkFilterValues(body: Record<string, unknown>, context: ProtocolErrorContext): void {
  const filter = body.filter as Array<Record<string, unknown>>;
  filter.forEach((value, i) => {
    if (!FILTER_MEMBERS.some((member) => member in value)) {
      throw new ProtocolError('BAD_FIELD', `subscribeTable filter[${i}] sets none of string_value, int64_value, double_value, bool_value`, context);
    }
  });
}
