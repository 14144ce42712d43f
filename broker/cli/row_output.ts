// Rows as `shoal tail` prints them: one JSON object per line, or CSV with a header line. Values are
// written so people can read them and `shoal append` can read them back exactly: numbers as JSON
// numbers unless a double cannot hold them (a LONG beyond 2^53, a decimal of 16+ digits), which are
// JSON strings instead; temporal columns as ISO 8601 text without a zone; BLOBs as UTF-8 text. Pure.

import { ColumnSpec, TableSchema } from '../table/schema.js';
import { parseDecimalString } from '../table/value_text.js';
import { csvField } from './csv_rows.js';
import { NS_PER_MS, formatDate, formatDateTimeNs, formatMonth, formatTimeOfDay } from './time_text.js';

export type RowFormat = 'json' | 'csv';

const utf8 = new TextDecoder();

/** A value as text, and whether JSON writes it bare (a number or boolean) or as a string. */
interface ValueText {
  text: string;
  bare: boolean;
}

function bigintOf(v: unknown): bigint {
  return typeof v === 'bigint' ? v : BigInt(v as number);
}

/** A number's exact text, bare in JSON only when JSON.parse gives back the same value. */
function exactText(text: string, scale: number): ValueText {
  const asDouble = Number(text);
  const exact = Number.isFinite(asDouble) && parseDecimalString(String(asDouble).includes('e') ? '' : String(asDouble), scale) === parseDecimalString(text, scale);
  return { text, bare: exact };
}

function numberText(v: number): ValueText {
  return Number.isFinite(v) ? { text: String(v), bare: true } : { text: String(v), bare: false };
}

function temporal(text: string | undefined, fallback: unknown): ValueText {
  return text === undefined ? { text: String(fallback), bare: true } : { text, bare: false };
}

/** The text of one non-null value of a column. */
export function valueText(spec: ColumnSpec, v: unknown): ValueText {
  switch (spec.type) {
    case 'DATE': return temporal(formatDate(v as number), v);
    case 'MONTH': return { text: formatMonth(v as number), bare: false };
    case 'TIME': return { text: formatTimeOfDay(BigInt(v as number) * NS_PER_MS, 3), bare: false };
    case 'SECOND': return { text: formatTimeOfDay(BigInt(v as number) * 1_000_000_000n, 0), bare: false };
    case 'MINUTE': return { text: formatTimeOfDay(BigInt(v as number) * 60_000_000_000n, 0).slice(0, 5), bare: false };
    case 'NANOTIME': return { text: formatTimeOfDay(bigintOf(v), 9), bare: false };
    case 'DATETIME': return temporal(formatDateTimeNs(bigintOf(v) * 1_000_000_000n, 0), v);
    case 'TIMESTAMP': return temporal(formatDateTimeNs(bigintOf(v) * NS_PER_MS, 3), v);
    case 'NANOTIMESTAMP': return temporal(formatDateTimeNs(bigintOf(v), 9), v);
    case 'DECIMAL32': case 'DECIMAL64': return exactText(String(v), spec.scale ?? 0);
    case 'BLOB': return { text: v instanceof Uint8Array ? utf8.decode(v) : String(v), bare: false };
    default:
      if (typeof v === 'number') return numberText(v);
      if (typeof v === 'bigint') return exactText(String(v), 0);
      if (typeof v === 'boolean') return { text: String(v), bare: true };
      return { text: String(v), bare: false };
  }
}

export function rowToJson(schema: TableSchema, row: Record<string, unknown>): string {
  const parts = schema.columns.map((c) => {
    const v = row[c.name];
    if (v === null || v === undefined) return `${JSON.stringify(c.name)}:null`;
    const { text, bare } = valueText(c, v);
    return `${JSON.stringify(c.name)}:${bare ? text : JSON.stringify(text)}`;
  });
  return `{${parts.join(',')}}`;
}

/** A CSV line; null is an empty field, an empty string is "". */
export function rowToCsv(schema: TableSchema, row: Record<string, unknown>): string {
  return schema.columns.map((c) => {
    const v = row[c.name];
    return v === null || v === undefined ? '' : csvField(valueText(c, v).text);
  }).join(',');
}

export function csvHeader(schema: TableSchema): string {
  return schema.columns.map((c) => csvField(c.name)).join(',');
}

export function formatRow(format: RowFormat, schema: TableSchema, row: Record<string, unknown>): string {
  return format === 'json' ? rowToJson(schema, row) : rowToCsv(schema, row);
}
