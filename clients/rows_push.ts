// A `rows` push read into the rows a subscriber has not seen yet. Unfiltered pushes carry consecutive
// rows (row i has offset firstOffset + i, `offsets` empty); filtered ones list each row's offset. Rows
// at or below the last offset already accepted are dropped here: after a resubscription the new
// leader may repeat rows, and a row must reach the handler exactly once.

import { PushOf } from '../broker/protocol/methods.js';
import { DecodedBatch, decodeAppendBatch } from '../broker/table/batch.js';
import { TableError } from '../broker/table/errors.js';
import { TableSchema } from '../broker/table/schema.js';
import { messageOf } from '../storage/state/errors.js';
import { ShoalError } from './shoal_error.js';

/**
 * The body of a rows push. `offsets` and `nextOffset` may be missing (a node that predates them) or
 * at their proto defaults ([] and 0): then offsets are consecutive and the next offset is the one
 * after the last row.
 */
export type RowsPushBody = Omit<PushOf<'rows'>, 'offsets' | 'nextOffset'> & { offsets?: number[]; nextOffset?: number };

/** Rows received and not yet handed to the handler: rows start.. of `batch`, offsets ascending. */
export interface ReceivedRows {
  readonly batch: DecodedBatch;
  /** The offset of each row of `batch` (also of the rows before `start`). */
  readonly offsets: readonly number[];
  /** The first row of `batch` still to deliver (earlier rows were duplicates). */
  readonly start: number;
  readonly receivedAtMs: number;
}

export interface ReadPush {
  /** Undefined when every row of the push was a duplicate. */
  rows: ReceivedRows | undefined;
  duplicates: number;
  /** Where the node continues after this push (rows a filter skipped included). */
  nextOffset: number;
}

/** Rows the node sends are decoded whatever their count: the frame limit (maxFrameBytes) already bounds them. */
export const RECEIVED_ROWS_LIMITS = { maxRows: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER };

/**
 * Decodes a push against the table's schema. A push that contradicts itself (row counts, offsets
 * out of order) is a BadReply: the caller drops the subscription's stream rather than guess.
 */
export function readRowsPush(
  schema: TableSchema,
  body: RowsPushBody,
  arrow: Uint8Array | undefined,
  lastAcceptedOffset: number,
  receivedAtMs: number,
): ReadPush {
  if (arrow === undefined) throw badPush(body, 'it carries no Arrow rows');
  let batch: DecodedBatch;
  try {
    batch = decodeAppendBatch(schema, arrow, RECEIVED_ROWS_LIMITS);
  } catch (err) {
    if (err instanceof TableError) throw badPush(body, `its rows do not match the table's schema: ${err.message}`, err);
    throw badPush(body, `its rows do not decode: ${messageOf(err)}`, err);
  }
  if (batch.numRows !== body.rowCount) throw badPush(body, `rowCount is ${body.rowCount} but the Arrow batch has ${batch.numRows} rows`);
  const offsets = offsetsOf(body, batch.numRows);
  let start = 0;
  while (start < offsets.length && offsets[start]! <= lastAcceptedOffset) start++;
  const last = offsets[offsets.length - 1]!;
  const nextOffset = body.nextOffset !== undefined && body.nextOffset > last ? body.nextOffset : last + 1;
  return {
    rows: start === offsets.length ? undefined : { batch, offsets, start, receivedAtMs },
    duplicates: start,
    nextOffset,
  };
}

function offsetsOf(body: RowsPushBody, rows: number): number[] {
  const listed = body.offsets ?? [];
  if (listed.length === 0) return Array.from({ length: rows }, (_, i) => body.firstOffset + i);
  if (listed.length !== rows) throw badPush(body, `it lists ${listed.length} offsets for ${rows} rows`);
  for (let i = 0; i < listed.length; i++) {
    const o = listed[i]!;
    if (!Number.isSafeInteger(o) || o < body.firstOffset || (i > 0 && o <= listed[i - 1]!)) {
      throw badPush(body, `its offsets are not ascending from firstOffset ${body.firstOffset} (offset #${i} is ${o})`);
    }
  }
  return listed;
}

function badPush(body: RowsPushBody, why: string, cause?: unknown): ShoalError {
  return new ShoalError('BadReply', `rows push for ${body.topic} at offset ${body.firstOffset}: ${why}`, cause === undefined ? {} : { cause });
}
