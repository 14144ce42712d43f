// The rows every benchmark writes, Shoal and its peers alike: seed 003's two shapes. The 11-column row
// is an 8-character id, a 4-character symbol, a timestamp, 4 doubles and 4 ints; the 211-column row
// adds 100 doubles and 100 ints. Values come from a seeded generator, so two runs write the same bytes.

import { SeededRandom } from '../../broker/raft/random.js';

export type ColumnType = 'STRING' | 'SYMBOL' | 'TIMESTAMP' | 'DOUBLE' | 'INT';

export interface BenchColumn {
  name: string;
  type: ColumnType;
}

/** One batch as columns by name: strings as string[], numbers in typed arrays. */
export type BenchColumns = Record<string, string[] | Float64Array | Int32Array>;

export const NARROW_COLUMNS = 11;
export const WIDE_COLUMNS = 211;

/** The schema of a table of 11 or 211 columns. */
export function benchSchema(columnCount: number): BenchColumn[] {
  if (columnCount !== NARROW_COLUMNS && columnCount !== WIDE_COLUMNS) {
    throw new RangeError(`benchSchema: ${columnCount} columns; the benchmark has ${NARROW_COLUMNS} or ${WIDE_COLUMNS}`);
  }
  const perType = (columnCount - 3) / 2; // 4 doubles and 4 ints, or 104 of each
  const columns: BenchColumn[] = [
    { name: 'id', type: 'STRING' },
    { name: 'sym', type: 'SYMBOL' },
    { name: 'ts', type: 'TIMESTAMP' },
  ];
  for (let i = 0; i < perType; i++) columns.push({ name: `d${i}`, type: 'DOUBLE' });
  for (let i = 0; i < perType; i++) columns.push({ name: `i${i}`, type: 'INT' });
  return columns;
}

const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOG', 'META', 'TSLA', 'AVGO', 'ORCL', 'COST', 'NFLX', 'AMD_'];
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * `rows` rows of `schema`, starting at row number `firstRow` (ids are the row number in base 36, padded
 * to 8 characters, so they are unique across batches), with timestamps from `baseTimeMs`.
 */
export function benchColumns(schema: BenchColumn[], rows: number, firstRow: number, seed: number, baseTimeMs = 1_795_000_000_000): BenchColumns {
  const random = new SeededRandom(seed ^ firstRow);
  const out: BenchColumns = {};
  for (const column of schema) {
    switch (column.type) {
      case 'STRING': out[column.name] = Array.from({ length: rows }, (_, r) => idOf(firstRow + r)); break;
      case 'SYMBOL': out[column.name] = Array.from({ length: rows }, () => SYMBOLS[random.intBelow(SYMBOLS.length)]!); break;
      case 'TIMESTAMP': out[column.name] = Float64Array.from({ length: rows }, (_, r) => baseTimeMs + firstRow + r); break;
      case 'DOUBLE': out[column.name] = Float64Array.from({ length: rows }, () => random.intBelow(100_000_000) / 100); break;
      case 'INT': out[column.name] = Int32Array.from({ length: rows }, () => random.intBelow(1_000_000)); break;
    }
  }
  return out;
}

/** Row number n as 8 characters of [A-Z0-9]. */
export function idOf(n: number): string {
  let text = '';
  for (let i = 0; i < 8; i++) {
    text = ID_ALPHABET[n % ID_ALPHABET.length]! + text;
    n = Math.floor(n / ID_ALPHABET.length);
  }
  return text;
}
