// A stream table's schema: checking what a user typed, the stored (versioned) form, and its Arrow schema.

import * as arrow from 'apache-arrow';
import { messageOf } from '../../storage/state/errors.js';
import { arrowTypeOf, canBeKey, DECIMAL_PRECISION, SHOAL_TYPES, ShoalType } from './column_types.js';
import { TableError } from './errors.js';

export type { ShoalType } from './column_types.js';

/** `scale` only for DECIMAL32 (0..9) and DECIMAL64 (0..18): digits after the point. */
export interface ColumnSpec { name: string; type: ShoalType; scale?: number }
export interface TableSchema { columns: ColumnSpec[] }

/** Field metadata key holding a column's Shoal type ('MONTH', 'DECIMAL32(4)'), so an Arrow schema names it exactly. */
export const SHOAL_TYPE_METADATA_KEY = 'shoal.type';
export const MAX_COLUMNS = 1024;
export const MAX_COLUMN_NAME_LENGTH = 255;
const SCHEMA_FORMAT_VERSION = 1;

const TYPE_NAMES: ReadonlySet<string> = new Set(SHOAL_TYPES);

/** 'DECIMAL32(4)' for a decimal column, else the bare type name. */
export function typeLabel(c: ColumnSpec): string {
  return c.scale === undefined ? c.type : `${c.type}(${c.scale})`;
}

/**
 * Validates a schema given by a user or a config file and returns a frozen, normalized copy: type names
 * upper-cased ('double' is DOUBLE), 'DECIMAL32(4)' split into type and scale. Column names are unique
 * ignoring case (DolphinDB treats them so); at least one column, at most MAX_COLUMNS.
 */
export function checkSchema(input: unknown): TableSchema {
  if (typeof input !== 'object' || input === null || !Array.isArray((input as { columns?: unknown }).columns)) {
    throw new TableError('BAD_SCHEMA', 'a schema is an object { columns: [{ name, type }, ...] }; give it a columns list');
  }
  const raw = (input as { columns: unknown[] }).columns;
  if (raw.length === 0) throw new TableError('BAD_SCHEMA', 'a schema needs at least one column');
  if (raw.length > MAX_COLUMNS) {
    throw new TableError('BAD_SCHEMA', `a schema has at most MAX_COLUMNS = ${MAX_COLUMNS} columns, got ${raw.length}`);
  }
  const seen = new Set<string>();
  const columns = raw.map((c, i) => {
    const column = checkColumn(c, i);
    const folded = column.name.toLowerCase();
    if (seen.has(folded)) {
      throw new TableError('BAD_SCHEMA', `column name "${column.name}" is used twice (names are compared ignoring case); rename one`, column.name);
    }
    seen.add(folded);
    return Object.freeze(column);
  });
  return Object.freeze({ columns: Object.freeze(columns) as ColumnSpec[] });
}

function checkColumn(c: unknown, index: number): ColumnSpec {
  if (typeof c !== 'object' || c === null) throw new TableError('BAD_SCHEMA', `column #${index} must be an object { name, type }`);
  const { name, type, scale } = c as { name?: unknown; type?: unknown; scale?: unknown };
  for (const key of Object.keys(c)) {
    if (key !== 'name' && key !== 'type' && key !== 'scale') {
      throw new TableError('BAD_SCHEMA', `column #${index} has an unknown property "${key}"; a column has only name, type and scale`);
    }
  }
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_COLUMN_NAME_LENGTH) {
    throw new TableError('BAD_SCHEMA', `column #${index} needs a name of 1..${MAX_COLUMN_NAME_LENGTH} characters`);
  }
  if (typeof type !== 'string') throw new TableError('BAD_TYPE', `column "${name}" needs a type name such as DOUBLE or DECIMAL32(4)`, name);
  const m = /^\s*([A-Za-z0-9]+)\s*(?:\(\s*(\d+)\s*\))?\s*$/.exec(type);
  const base = m?.[1]!.toUpperCase();
  if (m === null || base === undefined || !TYPE_NAMES.has(base)) {
    throw new TableError('BAD_TYPE', `column "${name}" has unknown type "${type}"; use one of ${SHOAL_TYPES.join(', ')}`, name);
  }
  const t = base as ShoalType;
  const inlineScale = m[2] === undefined ? undefined : Number(m[2]);
  if (t !== 'DECIMAL32' && t !== 'DECIMAL64') {
    if (inlineScale !== undefined || scale !== undefined) {
      throw new TableError('BAD_TYPE', `column "${name}": only DECIMAL32 and DECIMAL64 take a scale, ${t} does not`, name);
    }
    return { name, type: t };
  }
  if (inlineScale !== undefined && scale !== undefined && inlineScale !== scale) {
    throw new TableError('BAD_TYPE', `column "${name}" gives two scales (${type} and scale ${String(scale)}); give one`, name);
  }
  const s = inlineScale ?? scale;
  const max = DECIMAL_PRECISION[t];
  if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > max) {
    throw new TableError('BAD_TYPE', `column "${name}": ${t} needs a scale 0..${max}, as ${t}(4) or scale: 4`, name);
  }
  return { name, type: t, scale: s };
}

/**
 * The indexes of the key columns, in the order given. No key columns (undefined or []) means no dedup.
 * A key column must exist, be named once, and not be a BLOB (see canBeKey).
 */
export function checkKeyColumns(schema: TableSchema, keyColumns: string | string[] | undefined): number[] {
  if (keyColumns === undefined) return [];
  const names = typeof keyColumns === 'string' ? [keyColumns] : keyColumns;
  if (!Array.isArray(names)) throw new TableError('BAD_KEY_COLUMN', 'key columns are a column name or a list of column names');
  const indexes: number[] = [];
  for (const name of names) {
    const index = schema.columns.findIndex((c) => c.name === name);
    if (typeof name !== 'string' || index < 0) {
      throw new TableError('BAD_KEY_COLUMN', `key column "${String(name)}" is not a column of the table; use one of ${schema.columns.map((c) => c.name).join(', ')}`, String(name));
    }
    if (indexes.includes(index)) throw new TableError('BAD_KEY_COLUMN', `key column "${name}" is named twice`, name);
    const type = schema.columns[index]!.type;
    if (!canBeKey(type)) throw new TableError('BAD_KEY_COLUMN', `key column "${name}" is a ${type}, which cannot be a key; pick a column of another type`, name);
    indexes.push(index);
  }
  return indexes;
}

/** Stored form: UTF-8 JSON {"v":1,"columns":[{"name":..,"type":..[,"scale":..]}]}; the same schema gives the same bytes. */
export function encodeSchema(s: TableSchema): Uint8Array {
  const columns = s.columns.map((c) => (c.scale === undefined ? { name: c.name, type: c.type } : { name: c.name, type: c.type, scale: c.scale }));
  return new TextEncoder().encode(JSON.stringify({ v: SCHEMA_FORMAT_VERSION, columns }));
}

export function decodeSchema(b: Uint8Array): TableSchema {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b));
  } catch (err) {
    throw new TableError('BAD_SCHEMA', `stored schema bytes are not JSON (${messageOf(err)}); the metadata is corrupt`, undefined, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { v?: unknown }).v !== SCHEMA_FORMAT_VERSION) {
    throw new TableError('BAD_SCHEMA', `stored schema has no format version ${SCHEMA_FORMAT_VERSION}; it was written by a newer Shoal or is corrupt`);
  }
  try {
    return checkSchema({ columns: (parsed as { columns?: unknown }).columns });
  } catch (err) {
    throw new TableError('BAD_SCHEMA', `stored schema is invalid: ${messageOf(err)}`, undefined, { cause: err });
  }
}

const arrowSchemas = new WeakMap<TableSchema, arrow.Schema>();

/** Every field nullable, with `shoal.type` metadata; cached for the frozen schemas checkSchema returns. */
export function arrowSchemaOf(s: TableSchema): arrow.Schema {
  const cached = arrowSchemas.get(s);
  if (cached !== undefined) return cached;
  const fields = s.columns.map((c) => new arrow.Field(c.name, arrowTypeOf(c.type, c.scale), true, new Map([[SHOAL_TYPE_METADATA_KEY, typeLabel(c)]])));
  const schema = new arrow.Schema(fields);
  if (Object.isFrozen(s) && Object.isFrozen(s.columns)) arrowSchemas.set(s, schema);
  return schema;
}
