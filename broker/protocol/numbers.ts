// 64-bit integers on the wire, JS numbers in Shoal. Every term, index, offset and LSN stays below
// 2^53 in our code, so a larger value on the wire is a corrupt or hostile frame: BAD_FIELD, never a
// silently rounded number.

import { ProtocolError, ProtocolErrorContext } from './errors.js';

/** What protobufjs hands back for a 64-bit field: a number, or a Long when the `long` package is loaded. */
export interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
}

const TWO_POW_32 = 0x1_0000_0000;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** A uint64 or int64 read by protobufjs, as an exact JS number. */
export function numberFromLong(value: number | LongLike, field: string, context?: ProtocolErrorContext): number {
  if (typeof value === 'number') return checkedSafe(value, field, context);
  // Exact below 2^53 in magnitude; rounding is monotonic, so anything at or above 2^53 stays there and fails the check.
  const high = value.unsigned ? value.high >>> 0 : value.high | 0;
  return checkedSafe(high * TWO_POW_32 + (value.low >>> 0), field, context);
}

/** Whether a 64-bit field that protobufjs's toObject converted to a BigInt is an exact JS number. */
export function isSafeBigInt(value: bigint): boolean {
  return value <= MAX_SAFE && value >= MIN_SAFE;
}

/** The BAD_FIELD error for a 64-bit field at or beyond 2^53 in magnitude. */
export function beyond2To53(field: string, value: number | bigint, context?: ProtocolErrorContext): ProtocolError {
  return new ProtocolError('BAD_FIELD', `${field} is ${value}, beyond 2^53; Shoal keeps 64-bit fields below 2^53`, context);
}

function checkedSafe(n: number, field: string, context?: ProtocolErrorContext): number {
  if (!Number.isSafeInteger(n)) throw beyond2To53(field, n, context);
  return n;
}

/** Asserts a number our code is about to encode fits the uint64 or uint32 field it goes to. */
export function checkUnsigned(n: number, field: string, bits: 32 | 64): void {
  const max = bits === 32 ? 0xffff_ffff : Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new ProtocolError('BAD_FIELD', `cannot encode ${field} = ${n}: it must be an integer in [0, ${max}]`);
  }
}
