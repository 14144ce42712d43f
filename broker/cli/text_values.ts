// One typed value of a column from the text of a CSV field or the value of a JSON line, converted to
// what the client's append takes for that column type (docs/types.md). Checks here what the encoder
// would refuse later, so a bad value is reported with its line and column before anything is sent.
// Pure. A value that does not fit throws Misfit with the reason; the caller adds line and column.

import { DECIMAL_PRECISION } from '../table/column_types.js';
import { ColumnSpec, typeLabel } from '../table/schema.js';
import { hexToBytes16, parseDecimalString, parseIpAddress, parseUuid, pow10 } from '../table/value_text.js';
import { NS_PER_MS, parseDateTimeNs, parseMonth, parseTimeOfDayNs } from './time_text.js';

export class Misfit extends Error {}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INT_RANGES = { CHAR: [-128, 127], SHORT: [-32768, 32767], INT: [-2147483648, 2147483647] } as const;

function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

function misfit(spec: ColumnSpec, text: string, expected: string): Misfit {
  return new Misfit(`${quoted(text)} is not ${expected} (column type ${typeLabel(spec)})`);
}

function integerText(spec: ColumnSpec, text: string, expected: string): bigint {
  if (!INTEGER.test(text)) throw misfit(spec, text, expected);
  return BigInt(text);
}

function inRange(spec: ColumnSpec, text: string, v: bigint, min: bigint, max: bigint, expected: string): bigint {
  if (v < min || v > max) throw misfit(spec, text, `${expected} in ${min}..${max}`);
  return v;
}

/** A date-time text or an integer in the column's own unit, as that unit. */
function instant(spec: ColumnSpec, text: string, nsPerUnit: bigint, what: string): bigint {
  if (INTEGER.test(text)) return inRange(spec, text, BigInt(text), INT64_MIN, INT64_MAX, what);
  const ns = parseDateTimeNs(text);
  if (ns === undefined) throw misfit(spec, text, `a date-time like 2024-05-01T09:30:00 or an integer of ${what}`);
  if (ns % nsPerUnit !== 0n) throw misfit(spec, text, `a date-time with at most the column's precision`);
  return ns / nsPerUnit;
}

/** A time-of-day text or an integer in the column's unit, as that unit. */
function timeOfDay(spec: ColumnSpec, text: string, nsPerUnit: bigint, unitsPerDay: bigint, example: string): bigint {
  const what = `a time of day like ${example} or an integer below ${unitsPerDay}`;
  if (INTEGER.test(text)) return inRange(spec, text, BigInt(text), 0n, unitsPerDay - 1n, what);
  const ns = parseTimeOfDayNs(text);
  if (ns === undefined || ns % nsPerUnit !== 0n) throw misfit(spec, text, what);
  return ns / nsPerUnit;
}

/** The value of a column from its (non-empty) text. */
export function valueFromText(spec: ColumnSpec, text: string): unknown {
  switch (spec.type) {
    case 'STRING': case 'SYMBOL': case 'BLOB':
      return text;
    case 'BOOL': {
      const t = text.toLowerCase();
      if (t === 'true' || t === '1') return true;
      if (t === 'false' || t === '0') return false;
      throw misfit(spec, text, 'true, false, 1 or 0');
    }
    case 'CHAR': case 'SHORT': case 'INT': {
      const [min, max] = INT_RANGES[spec.type];
      return Number(inRange(spec, text, integerText(spec, text, 'an integer'), BigInt(min), BigInt(max), 'an integer'));
    }
    case 'LONG':
      return inRange(spec, text, integerText(spec, text, 'an integer'), INT64_MIN, INT64_MAX, 'an integer');
    case 'FLOAT': case 'DOUBLE': {
      const t = text.toLowerCase();
      if (t === 'nan') return NaN;
      if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
      if (t === '-inf' || t === '-infinity') return -Infinity;
      if (!FLOAT.test(text)) throw misfit(spec, text, 'a number');
      return Number(text);
    }
    case 'DATE': {
      if (INTEGER.test(text)) return Number(inRange(spec, text, BigInt(text), -(2n ** 31n), 2n ** 31n - 1n, 'days since 1970-01-01'));
      const ns = parseDateTimeNs(text);
      if (ns === undefined || ns % 86_400_000_000_000n !== 0n) throw misfit(spec, text, 'a date like 2024-05-01');
      return Number(ns / 86_400_000_000_000n);
    }
    case 'MONTH': {
      if (INTEGER.test(text)) return Number(inRange(spec, text, BigInt(text), 0n, 2n ** 31n - 1n, 'months since 0000-01'));
      const months = parseMonth(text);
      if (months === undefined || months < 0) throw misfit(spec, text, 'a month like 2024-05');
      return months;
    }
    case 'TIME': return Number(timeOfDay(spec, text, NS_PER_MS, 86_400_000n, '09:30:00.250'));
    case 'SECOND': return Number(timeOfDay(spec, text, 1_000_000_000n, 86_400n, '09:30:00'));
    case 'MINUTE': return Number(timeOfDay(spec, text, 60_000_000_000n, 1440n, '09:30'));
    case 'NANOTIME': return timeOfDay(spec, text, 1n, 86_400_000_000_000n, '09:30:00.123456789');
    case 'DATETIME': return instant(spec, text, 1_000_000_000n, 'seconds since 1970');
    case 'TIMESTAMP': return instant(spec, text, NS_PER_MS, 'ms since 1970');
    case 'NANOTIMESTAMP': return instant(spec, text, 1n, 'ns since 1970');
    case 'UUID': {
      const b = parseUuid(text);
      if (b === undefined) throw misfit(spec, text, 'a UUID like 123e4567-e89b-12d3-a456-426614174000');
      return b;
    }
    case 'IPADDR': {
      const b = parseIpAddress(text);
      if (b === undefined) throw misfit(spec, text, 'an IPv4 or IPv6 address');
      return b;
    }
    case 'INT128': {
      const b = hexToBytes16(text);
      if (b === undefined) throw misfit(spec, text, '32 hex digits');
      return b;
    }
    case 'DECIMAL32': case 'DECIMAL64': {
      const scale = spec.scale ?? 0;
      const unscaled = parseDecimalString(text, scale);
      if (unscaled === undefined) throw misfit(spec, text, `a decimal with at most ${scale} fraction digits`);
      const limit = pow10(DECIMAL_PRECISION[spec.type]);
      if (unscaled >= limit || unscaled <= -limit) throw misfit(spec, text, `a decimal of at most ${DECIMAL_PRECISION[spec.type]} digits`);
      return text;
    }
  }
}

/**
 * The value of a column from a JSON line: null is null; a string is read as CSV text is (so dates and
 * 64-bit integers can be written as strings); numbers and booleans must suit the column.
 */
export function valueFromJson(spec: ColumnSpec, v: unknown): unknown {
  if (v === null) return null;
  if (typeof v === 'string') return v === '' && !isText(spec) ? null : valueFromText(spec, v);
  if (typeof v === 'boolean') {
    if (spec.type !== 'BOOL') throw new Misfit(`${v} is a boolean; column type ${typeLabel(spec)} does not take one`);
    return v;
  }
  if (typeof v === 'number') {
    if (isText(spec) || spec.type === 'BOOL' || spec.type === 'UUID' || spec.type === 'IPADDR' || spec.type === 'INT128') {
      throw new Misfit(`${v} is a number; column type ${typeLabel(spec)} takes a ${spec.type === 'BOOL' ? 'boolean' : 'string'}`);
    }
    if (spec.type === 'FLOAT' || spec.type === 'DOUBLE') return v;
    if (!spec.type.startsWith('DECIMAL') && !Number.isInteger(v)) throw new Misfit(`${v} has a fraction; column type ${typeLabel(spec)} takes whole numbers`);
    if (!spec.type.startsWith('DECIMAL') && !Number.isSafeInteger(v)) {
      throw new Misfit(`${v} is not an exact integer: JSON numbers beyond 2^53 lose digits, so write 64-bit values as strings ("12345678901234567890")`);
    }
    const text = String(v);
    if (/e/i.test(text)) throw new Misfit(`${v} has an exponent; write it as a plain decimal string for column type ${typeLabel(spec)}`);
    return valueFromText(spec, text);
  }
  throw new Misfit(`${JSON.stringify(v)} is not a value for column type ${typeLabel(spec)}`);
}

/** The types whose empty text is a value (''), not null, when the field is quoted. */
export function isText(spec: ColumnSpec): boolean {
  return spec.type === 'STRING' || spec.type === 'SYMBOL' || spec.type === 'BLOB';
}
