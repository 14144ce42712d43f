// What a subscription handler receives for a chunk of rows: row objects (batchToRows values, the same
// ones append accepts) or an apache-arrow Table in the table's schema. Each received push is converted
// once, however many handler calls share it.

import * as arrow from 'apache-arrow';
import { batchToRows } from '../broker/table/batch.js';
import { Chunk } from './delivery_buffer.js';
import { ReceivedRows } from './rows_push.js';

export type Row = Record<string, unknown>;

const rowsOfPush = new WeakMap<ReceivedRows, Row[]>();
const tableOfPush = new WeakMap<ReceivedRows, arrow.Table>();

function rowsOf(received: ReceivedRows): Row[] {
  let rows = rowsOfPush.get(received);
  if (rows === undefined) {
    rows = batchToRows(received.batch);
    rowsOfPush.set(received, rows);
  }
  return rows;
}

function tableOf(received: ReceivedRows): arrow.Table {
  let table = tableOfPush.get(received);
  if (table === undefined) {
    table = new arrow.Table(received.batch.batch);
    tableOfPush.set(received, table);
  }
  return table;
}

/** The chunk's rows as objects, in offset order. */
export function chunkRows(chunk: Chunk): Row[] {
  const out: Row[] = [];
  for (const p of chunk.pieces) {
    const rows = rowsOf(p.rows);
    for (let i = p.from; i < p.to; i++) out.push(rows[i]!);
  }
  return out;
}

/** The chunk's only row (a chunk of one row, as per-row delivery takes). */
export function chunkRow(chunk: Chunk): Row {
  const p = chunk.pieces[0]!;
  return rowsOf(p.rows)[p.from]!;
}

/** The chunk as one Arrow table; a whole push is its own table, unsliced. */
export function chunkTable(chunk: Chunk): arrow.Table {
  const parts = chunk.pieces.map((p) => {
    const table = tableOf(p.rows);
    return p.from === 0 && p.to === table.numRows ? table : table.slice(p.from, p.to);
  });
  return parts.length === 1 ? parts[0]! : parts[0]!.concat(...parts.slice(1));
}
