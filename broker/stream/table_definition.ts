// What defines a stream table, as its CreateTable command set it: schema, key columns, cache and
// retention. Stored opaque in the state store's TableMeta record, so a restart rebuilds the table
// without the log.

import { TableSchema, checkKeyColumns, decodeSchema, encodeSchema } from '../table/schema.js';
import { CommandDecodeError, CreateTableCommand } from './commands.js';

export interface TableDefinition {
  readonly name: string;
  readonly schema: TableSchema;
  readonly keyColumns: readonly string[];
  /** Indexes of keyColumns in the schema; empty: not a keyed table, every row is kept. */
  readonly keyIndexes: readonly number[];
  readonly cacheLimit: number;
  readonly retentionMinutes: number;
  /** The column subscription filters select on (setStreamTableFilterColumn); '' when none. */
  filterColumn: string;
}

export function definitionOf(c: CreateTableCommand): TableDefinition {
  const schema = decodeSchema(c.schema);
  const keyIndexes = c.keyColumns.length === 0 ? [] : checkKeyColumns(schema, c.keyColumns);
  return {
    name: c.table, schema, keyColumns: [...c.keyColumns], keyIndexes,
    cacheLimit: c.cacheLimit, retentionMinutes: c.retentionMinutes, filterColumn: c.filterColumn,
  };
}

const utf8 = new TextEncoder();

export function encodeDefinition(d: TableDefinition): Uint8Array {
  return utf8.encode(JSON.stringify({
    v: 1, name: d.name, schema: Buffer.from(encodeSchema(d.schema)).toString('base64'), keyColumns: d.keyColumns,
    cacheLimit: d.cacheLimit, retentionMinutes: d.retentionMinutes, filterColumn: d.filterColumn,
  }));
}

export function decodeDefinition(bytes: Uint8Array): TableDefinition {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
  } catch (cause) {
    throw new CommandDecodeError('BAD_COMMAND', 'a stored table definition is not JSON: the state store is corrupt or newer', { cause });
  }
  if (o['v'] !== 1) throw new CommandDecodeError('BAD_COMMAND', `a stored table definition has version ${String(o['v'])}, expected 1`);
  return definitionOf({
    kind: 1, table: String(o['name']), schema: Buffer.from(String(o['schema']), 'base64'),
    keyColumns: (o['keyColumns'] as string[]) ?? [], cacheLimit: Number(o['cacheLimit']),
    retentionMinutes: Number(o['retentionMinutes']), filterColumn: String(o['filterColumn'] ?? ''),
  });
}
