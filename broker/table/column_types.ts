// The column types of a stream table (DolphinDB's names) and how each one is laid out in Arrow.
// docs/types.md has the same mapping as a table; the two must agree.

import * as arrow from 'apache-arrow';

export const SHOAL_TYPES = [
  'BOOL', 'CHAR', 'SHORT', 'INT', 'LONG', 'FLOAT', 'DOUBLE', 'STRING', 'SYMBOL',
  'DATE', 'MONTH', 'TIME', 'MINUTE', 'SECOND', 'DATETIME', 'TIMESTAMP', 'NANOTIME', 'NANOTIMESTAMP',
  'UUID', 'IPADDR', 'INT128', 'BLOB', 'DECIMAL32', 'DECIMAL64',
] as const;

export type ShoalType = (typeof SHOAL_TYPES)[number];

/** The largest scale of each decimal type: its Arrow precision (9 and 18 digits). */
export const DECIMAL_PRECISION = { DECIMAL32: 9, DECIMAL64: 18 } as const;

/**
 * How a column's values sit in its Arrow buffers:
 *   bool  -- one bit per row in the values buffer
 *   fixed -- `width` bytes per row in the values buffer (little-endian numbers, or raw bytes)
 *   var   -- int32 offsets buffer (rows + 1 entries) into a data buffer (STRING/SYMBOL are UTF-8)
 */
export type Layout = { kind: 'bool' } | { kind: 'fixed'; width: number } | { kind: 'var'; utf8: boolean };

export function layoutOf(type: ShoalType): Layout {
  switch (type) {
    case 'BOOL': return { kind: 'bool' };
    case 'CHAR': return { kind: 'fixed', width: 1 };
    case 'SHORT': return { kind: 'fixed', width: 2 };
    case 'INT': case 'FLOAT': case 'DATE': case 'MONTH': case 'TIME': case 'MINUTE': case 'SECOND': case 'DECIMAL32':
      return { kind: 'fixed', width: 4 };
    case 'LONG': case 'DOUBLE': case 'DATETIME': case 'TIMESTAMP': case 'NANOTIME': case 'NANOTIMESTAMP': case 'DECIMAL64':
      return { kind: 'fixed', width: 8 };
    case 'UUID': case 'IPADDR': case 'INT128': return { kind: 'fixed', width: 16 };
    case 'STRING': case 'SYMBOL': return { kind: 'var', utf8: true };
    case 'BLOB': return { kind: 'var', utf8: false };
  }
}

/** The Arrow type of a column. SYMBOL is plain utf8, not a dictionary: see docs/types.md for why. */
export function arrowTypeOf(type: ShoalType, scale: number | undefined): arrow.DataType {
  switch (type) {
    case 'BOOL': return new arrow.Bool();
    case 'CHAR': return new arrow.Int8();
    case 'SHORT': return new arrow.Int16();
    case 'INT': case 'MONTH': case 'MINUTE': return new arrow.Int32();
    case 'LONG': return new arrow.Int64();
    case 'FLOAT': return new arrow.Float32();
    case 'DOUBLE': return new arrow.Float64();
    case 'STRING': case 'SYMBOL': return new arrow.Utf8();
    case 'DATE': return new arrow.DateDay();
    case 'TIME': return new arrow.TimeMillisecond();
    case 'SECOND': return new arrow.TimeSecond();
    case 'NANOTIME': return new arrow.TimeNanosecond();
    case 'DATETIME': return new arrow.TimestampSecond();
    case 'TIMESTAMP': return new arrow.TimestampMillisecond();
    case 'NANOTIMESTAMP': return new arrow.TimestampNanosecond();
    case 'UUID': case 'IPADDR': case 'INT128': return new arrow.FixedSizeBinary(16);
    case 'BLOB': return new arrow.Binary();
    case 'DECIMAL32': return new arrow.Decimal(scale ?? 0, DECIMAL_PRECISION.DECIMAL32, 32);
    case 'DECIMAL64': return new arrow.Decimal(scale ?? 0, DECIMAL_PRECISION.DECIMAL64, 64);
  }
}

const TIME_UNITS = ['SECOND', 'MILLISECOND', 'MICROSECOND', 'NANOSECOND'];

/**
 * An Arrow type spelled the way ipc_reader.ts spells a decoded field's type ('Int(32,signed)',
 * 'Timestamp(SECOND)', 'Decimal(9,4,32)'), so a field read off the wire or a client's vector is compared
 * with a column (arrowSignatureOf(arrowTypeOf(...))) by one string, and an error message can show both.
 * Types no Shoal column has are spelt as apache-arrow prints them, which matches no column.
 */
export function arrowSignatureOf(t: arrow.DataType): string {
  if (arrow.DataType.isInt(t)) return `Int(${t.bitWidth},${t.isSigned ? 'signed' : 'unsigned'})`;
  if (arrow.DataType.isFloat(t)) return `FloatingPoint(${['HALF', 'SINGLE', 'DOUBLE'][t.precision]})`;
  if (arrow.DataType.isUtf8(t)) return 'Utf8';
  if (arrow.DataType.isBinary(t)) return 'Binary';
  if (arrow.DataType.isBool(t)) return 'Bool';
  if (arrow.DataType.isDecimal(t)) return `Decimal(${t.precision},${t.scale},${t.bitWidth})`;
  if (arrow.DataType.isDate(t)) return `Date(${t.unit === arrow.DateUnit.DAY ? 'DAY' : 'MILLISECOND'})`;
  if (arrow.DataType.isTime(t)) return `Time(${TIME_UNITS[t.unit]},${t.bitWidth})`;
  if (arrow.DataType.isTimestamp(t)) return `Timestamp(${TIME_UNITS[t.unit]}${t.timezone ? `,${t.timezone}` : ''})`;
  if (arrow.DataType.isFixedSizeBinary(t)) return `FixedSizeBinary(${t.byteWidth})`;
  return String(t);
}

/** BLOB cannot be a key column: a key is kept per row in the dedup index, so it must stay small. */
export function canBeKey(type: ShoalType): boolean {
  return type !== 'BLOB';
}
