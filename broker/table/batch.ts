// Append batches: the client turns columns into Arrow IPC bytes, the server proves untrusted bytes are one
// record batch of the table's schema, and both sides read rows, keys and filters off the Arrow buffers.

import * as arrow from 'apache-arrow';
import { messageOf } from '../../storage/state/errors.js';
import { arrowSignatureOf, layoutOf } from './column_types.js';
import { ColumnAppender } from './column_appender.js';
import { buildColumn } from './column_builder.js';
import { bufferCountOf, decodeColumn } from './column_decoder.js';
import { readColumn, readValue, viewOf, ColumnView } from './column_view.js';
import { TableError } from './errors.js';
import { IpcField, KnownSchema, readIpcStream } from './ipc_reader.js';
import { IpcColumnBuffers, schemaMessageOf, writeIpcStream } from './ipc_writer.js';
import { rowKeyStrings } from './row_keys.js';
import { arrowSchemaOf, checkSchema, ColumnSpec, SHOAL_TYPE_METADATA_KEY, TableSchema, typeLabel } from './schema.js';

export { keyToBytes } from './row_keys.js';

export interface BatchLimits { maxRows: number; maxBytes: number }
export type AppendData = arrow.Table | arrow.RecordBatch | Record<string, ArrayLike<unknown> | arrow.Vector>;

/** `batch` is in `schema`'s column order and may share memory with `ipc`: treat both as read-only. */
export interface DecodedBatch { readonly schema: TableSchema; readonly numRows: number; readonly batch: arrow.RecordBatch; readonly ipc: Uint8Array }

const NO_LIMITS: BatchLimits = { maxRows: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER };

/** A schema ready to check batches against; cached for the frozen schemas checkSchema returns. */
interface CompiledSchema {
  schema: TableSchema;
  arrow: arrow.Schema;
  signatures: string[];
  indexByName: Map<string, number>;
  /** The IPC schema message every batch of this schema starts with; made on first use. */
  schemaMessage?: Uint8Array;
  /** The schema message of the last batch decoded in this schema, with its fields. */
  lastSchemaRead?: KnownSchema;
}

const compiled = new WeakMap<TableSchema, CompiledSchema>();

function compile(input: TableSchema): CompiledSchema {
  const hit = compiled.get(input);
  if (hit !== undefined) return hit;
  const frozen = Object.isFrozen(input) && Object.isFrozen(input.columns);
  const schema = frozen ? input : checkSchema(input);
  const arrowSchema = arrowSchemaOf(schema);
  const c: CompiledSchema = {
    schema,
    arrow: arrowSchema,
    signatures: arrowSchema.fields.map((f) => arrowSignatureOf(f.type)),
    indexByName: new Map(schema.columns.map((col, i) => [col.name, i])),
  };
  if (frozen) compiled.set(input, c);
  return c;
}

function checkRowCount(rows: number, limits: BatchLimits): void {
  if (rows === 0) throw new TableError('EMPTY_BATCH', 'the batch has no rows; send at least one');
  if (rows > limits.maxRows) throw new TableError('BATCH_TOO_LARGE', `the batch has ${rows} rows, over the limit maxRows = ${limits.maxRows}; split it`);
}

function checkByteCount(bytes: number, limits: BatchLimits): void {
  if (bytes > limits.maxBytes) throw new TableError('BATCH_TOO_LARGE', `the batch is ${bytes} bytes, over the limit maxBytes = ${limits.maxBytes}; send fewer rows per batch`);
}

function toIpc(c: CompiledSchema, children: arrow.Data[], rows: number): Uint8Array {
  const columns: IpcColumnBuffers[] = [];
  for (let i = 0; i < children.length; i++) {
    const buffers = ipcBuffersOf(c.schema.columns[i]!, children[i]!, rows);
    if (buffers === undefined) return toIpcByArrow(c, children, rows);
    columns.push(buffers);
  }
  c.schemaMessage ??= schemaMessageOf(c.arrow);
  return writeIpcStream(c.schemaMessage, rows, columns);
}

/** apache-arrow's writer, for column data that is a slice of a larger one (it rebases offsets and bitmaps). */
function toIpcByArrow(c: CompiledSchema, children: arrow.Data[], rows: number): Uint8Array {
  const struct = arrow.makeData({ type: new arrow.Struct(c.arrow.fields), length: rows, nullCount: 0, children });
  return arrow.tableToIPC(new arrow.Table([new arrow.RecordBatch(c.arrow, struct)]), 'stream');
}

/** The IPC buffers of one column's data as it is, or undefined when it starts inside its buffers (a slice). */
function ipcBuffersOf(spec: ColumnSpec, d: arrow.Data, rows: number): IpcColumnBuffers | undefined {
  if (d.offset !== 0 || d.length !== rows) return undefined;
  const bitmapBytes = (rows + 7) >> 3;
  const bytesOf = (a: ArrayBufferView | undefined, n: number): Uint8Array | undefined =>
    a !== undefined && a.byteLength >= n ? new Uint8Array(a.buffer, a.byteOffset, n) : undefined;
  const validity = d.nullCount > 0 ? bytesOf(d.nullBitmap, bitmapBytes) : new Uint8Array(0);
  if (validity === undefined) return undefined;
  const layout = layoutOf(spec.type);
  if (layout.kind === 'var') {
    const offsets = d.valueOffsets as Int32Array | undefined;
    if (offsets === undefined || offsets.length < rows + 1 || offsets[0] !== 0) return undefined;
    const values = bytesOf(d.values as Uint8Array, offsets[rows]!);
    const offsetBytes = bytesOf(offsets, 4 * (rows + 1));
    return values === undefined || offsetBytes === undefined ? undefined : { nullCount: d.nullCount, buffers: [validity, offsetBytes, values] };
  }
  const values = bytesOf(d.values as ArrayBufferView, layout.kind === 'bool' ? bitmapBytes : rows * layout.width);
  return values === undefined ? undefined : { nullCount: d.nullCount, buffers: [validity, values] };
}

// ---------------------------------------------------------------------------------------------- client

/** An Arrow vector as one column: its Data when already of the column's Arrow type, else its values converted. */
function columnFromVector(spec: ColumnSpec, signature: string, vector: arrow.Vector): arrow.Data {
  if (arrowSignatureOf(vector.type) === signature) {
    if (vector.data.length === 1) return vector.data[0]!;
    const appender = new ColumnAppender(spec, vector.length);
    for (const d of vector.data) appender.appendRange(viewOf(spec, d), 0, d.length);
    return appender.finish();
  }
  const values = new Array<unknown>(vector.length);
  for (let i = 0; i < vector.length; i++) values[i] = vector.get(i);
  return buildColumn(spec, values);
}

/**
 * Client side: columns (plain arrays, typed arrays, Arrow vectors, or an Arrow table / record batch) -> the
 * Arrow IPC stream of one record batch in the table's schema. Throws TableError naming the column.
 */
export function encodeAppendBatch(schema: TableSchema, data: AppendData, limits: BatchLimits): Uint8Array {
  const c = compile(schema);
  const given = new Map<string, ArrayLike<unknown> | arrow.Vector>();
  if (data instanceof arrow.Table || data instanceof arrow.RecordBatch) {
    for (const field of data.schema.fields) given.set(field.name, data.getChild(field.name)!);
  } else if (typeof data === 'object' && data !== null) {
    for (const [name, column] of Object.entries(data)) given.set(name, column);
  } else {
    throw new TableError('BAD_ARROW', 'append data must be an Arrow table, a record batch, or an object of columns');
  }
  for (const name of given.keys()) {
    if (!c.indexByName.has(name)) throw new TableError('EXTRA_COLUMN', `column "${name}" is not in the table; drop it or add it to the schema`, name);
  }
  let rows = -1;
  let firstName = '';
  const columns = c.schema.columns.map((spec) => {
    const column = given.get(spec.name);
    if (column === undefined || column === null || typeof (column as { length?: unknown }).length !== 'number') {
      throw new TableError('MISSING_COLUMN', `column "${spec.name}" is missing; give it values (null for missing ones)`, spec.name);
    }
    if (rows < 0) {
      rows = column.length;
      firstName = spec.name;
    } else if (column.length !== rows) {
      throw new TableError('COLUMN_LENGTH', `column "${spec.name}" has ${column.length} values but column "${firstName}" has ${rows}; give every column the same length`, spec.name);
    }
    return column;
  });
  checkRowCount(rows, limits);
  const children = c.schema.columns.map((spec, i) => {
    const column = columns[i]!;
    return column instanceof arrow.Vector ? columnFromVector(spec, c.signatures[i]!, column) : buildColumn(spec, column);
  });
  const ipc = toIpc(c, children, rows);
  checkByteCount(ipc.byteLength, limits);
  return ipc;
}

// ---------------------------------------------------------------------------------------------- server

/**
 * Server side: untrusted bytes -> one record batch of exactly the table's columns and types. Columns may come
 * in any order; `ipc` is then re-encoded in the table's order, else it is the input itself. Every failure is
 * a TableError: BATCH_TOO_LARGE, EMPTY_BATCH, EXTRA_COLUMN, MISSING_COLUMN, WRONG_TYPE or BAD_ARROW.
 */
export function decodeAppendBatch(schema: TableSchema, ipc: Uint8Array, limits: BatchLimits): DecodedBatch {
  const c = compile(schema);
  if (!(ipc instanceof Uint8Array)) throw new TableError('BAD_ARROW', 'a batch must be the bytes of an Arrow IPC stream');
  checkByteCount(ipc.byteLength, limits);
  try {
    return decodeChecked(c, ipc, limits);
  } catch (err) {
    if (err instanceof TableError) throw err;
    throw new TableError('BAD_ARROW', `the bytes are not a valid Arrow IPC stream (${messageOf(err)})`, undefined, { cause: err });
  }
}

/** Maps each table column to its field in the stream (fieldOf); names and Arrow types must match exactly. */
function checkFields(c: CompiledSchema, fields: IpcField[], fieldOf: Int32Array): void {
  const columns = c.schema.columns;
  fields.forEach((f, i) => {
    const col = c.indexByName.get(f.name);
    if (col === undefined) throw new TableError('EXTRA_COLUMN', `column "${f.name}" is not in the table; drop it`, f.name);
    if (fieldOf[col] !== -1) throw new TableError('EXTRA_COLUMN', `column "${f.name}" appears twice in the batch`, f.name);
    fieldOf[col] = i;
  });
  columns.forEach((spec, col) => {
    if (fieldOf[col] === -1) throw new TableError('MISSING_COLUMN', `column "${spec.name}" is missing from the batch`, spec.name);
    const f = fields[fieldOf[col]!]!;
    if (f.signature !== c.signatures[col]) {
      throw new TableError('WRONG_TYPE', `column "${spec.name}" is Arrow ${f.signature}, but ${typeLabel(spec)} is Arrow ${c.signatures[col]}`, spec.name);
    }
    if (f.shoalType !== undefined && f.shoalType !== typeLabel(spec)) {
      throw new TableError('WRONG_TYPE', `column "${spec.name}" is marked ${f.shoalType} (field metadata ${SHOAL_TYPE_METADATA_KEY}), but the table has ${typeLabel(spec)}`, spec.name);
    }
  });
}

function decodeChecked(c: CompiledSchema, ipc: Uint8Array, limits: BatchLimits): DecodedBatch {
  const columns = c.schema.columns;
  const fieldOf = new Int32Array(columns.length).fill(-1); // column -> field index in the stream
  const stream = readIpcStream(ipc, (fields) => checkFields(c, fields, fieldOf), c.lastSchemaRead);
  if (c.lastSchemaRead?.fields !== stream.fields) c.lastSchemaRead = { message: stream.schemaMessage.slice(), fields: stream.fields };
  const rows = stream.length;
  checkRowCount(rows, limits);

  // Nodes and buffers come in the stream's field order.
  if (stream.nodes.length !== stream.fields.length) throw new TableError('BAD_ARROW', `${stream.nodes.length} field nodes for ${stream.fields.length} fields`);
  const firstBuffer = new Int32Array(stream.fields.length);
  let buffers = 0;
  stream.fields.forEach((f, i) => {
    firstBuffer[i] = buffers;
    buffers += bufferCountOf(columns[c.indexByName.get(f.name)!]!);
  });
  if (stream.buffers.length !== buffers) throw new TableError('BAD_ARROW', `${stream.buffers.length} buffers where the fields need ${buffers}`);

  let inOrder = true;
  const children = columns.map((spec, col) => {
    const f = fieldOf[col]!;
    if (f !== col) inOrder = false;
    const count = bufferCountOf(spec);
    return decodeColumn(spec, stream.nodes[f]!, stream.buffers.slice(firstBuffer[f]!, firstBuffer[f]! + count), stream.body, rows);
  });
  return new CheckedBatch(c, rows, children, inOrder ? ipc : toIpc(c, children, rows));
}

/** An append on an unkeyed table never reads its rows: the RecordBatch is built on first use. */
class CheckedBatch implements DecodedBatch {
  private built: arrow.RecordBatch | undefined;

  constructor(private readonly c: CompiledSchema, readonly numRows: number, private readonly children: arrow.Data[], readonly ipc: Uint8Array) {}

  get schema(): TableSchema {
    return this.c.schema;
  }

  get batch(): arrow.RecordBatch {
    if (this.built === undefined) {
      const struct = arrow.makeData({ type: new arrow.Struct(this.c.arrow.fields), length: this.numRows, nullCount: 0, children: this.children });
      this.built = new arrow.RecordBatch(this.c.arrow, struct);
    }
    return this.built;
  }
}

// ---------------------------------------------------------------------------------------------- reading

/** A view of column `index` of a decoded batch; undefined when the table has no such column. */
function viewAt(b: DecodedBatch, index: number): ColumnView | undefined {
  const spec = b.schema.columns[index];
  return spec === undefined ? undefined : viewOf(spec, b.batch.data.children[index]!);
}

function viewsOf(b: DecodedBatch): ColumnView[] {
  return b.schema.columns.map((spec, i) => viewOf(spec, b.batch.data.children[i]!));
}

/**
 * One key per row; two rows have equal keys iff their values in `keyColumns` are equal (null equals null;
 * -0 equals 0; NaN equals NaN). Keys are strings of chars 0..255 (see row_keys.ts; keyToBytes gives the bytes).
 */
export function rowKeys(batch: DecodedBatch, keyColumns: number[]): string[] {
  if (keyColumns.length === 0) throw new TableError('BAD_KEY_COLUMN', 'rowKeys needs at least one key column');
  const keyViews = keyColumns.map((k) => {
    const v = viewAt(batch, k);
    if (v === undefined) throw new TableError('BAD_KEY_COLUMN', `key column index ${k} is not a column of the ${batch.schema.columns.length}-column table`);
    return v;
  });
  return rowKeyStrings(keyViews, batch.numRows);
}

function checkRowIndex(batch: DecodedBatch, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= batch.numRows) throw new RangeError(`row ${i} is not in 0..${batch.numRows - 1}`);
}

function rebuild(batch: DecodedBatch, rows: number, fill: (appender: ColumnAppender, view: ColumnView) => void): Uint8Array {
  const c = compile(batch.schema);
  const views = viewsOf(batch);
  const children = c.schema.columns.map((spec, i) => {
    const appender = new ColumnAppender(spec, rows);
    fill(appender, views[i]!);
    return appender.finish();
  });
  return toIpc(c, children, rows);
}

/** IPC bytes of a batch of just `rows`, in that order (repeats allowed). All rows in order give batch.ipc itself. */
export function selectRows(batch: DecodedBatch, rows: Uint32Array | number[]): Uint8Array {
  if (rows.length === 0) throw new TableError('EMPTY_BATCH', 'no rows selected; store nothing instead');
  let identity = rows.length === batch.numRows;
  for (let i = 0; i < rows.length; i++) {
    checkRowIndex(batch, rows[i]!);
    if (rows[i] !== i) identity = false;
  }
  if (identity) return batch.ipc;
  return rebuild(batch, rows.length, (appender, view) => {
    for (let i = 0; i < rows.length; i++) appender.appendRow(view, rows[i]!);
  });
}

/** IPC bytes of rows from .. from + count - 1. */
export function sliceBatch(batch: DecodedBatch, from: number, count: number): Uint8Array {
  if (!Number.isInteger(count) || count <= 0) throw new TableError('EMPTY_BATCH', `a slice of ${count} rows; slice at least one`);
  checkRowIndex(batch, from);
  checkRowIndex(batch, from + count - 1);
  if (from === 0 && count === batch.numRows) return batch.ipc;
  return rebuild(batch, count, (appender, view) => appender.appendRange(view, from, count));
}

/**
 * Rows whose value in `column` is one of `values`. A filter value is converted to the column's type the way
 * encodeAppendBatch converts a value (so 5 matches a LONG 5n, '1.50' a DECIMAL 1.5, a UUID string its bytes),
 * then compared as row keys are. A value that cannot be converted is BAD_FILTER. Nulls never match.
 */
export function filterRowIndexes(batch: DecodedBatch, column: number, values: ReadonlySet<string | number | bigint | boolean>): number[] {
  const view = viewAt(batch, column);
  if (view === undefined) throw new TableError('BAD_FILTER', `filter column index ${column} is not a column of the ${batch.schema.columns.length}-column table`);
  if (values.size === 0) return [];
  const wanted = filterKeys(view.spec, values);
  const keys = rowKeyStrings([view], batch.numRows);
  const out: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    if (wanted.has(keys[i]!)) out.push(i); // a null row's key (one 0x00 byte) is no filter value's key
  }
  return out;
}

/** The row keys of filter values converted to the column's type; a value that does not fit is BAD_FILTER. */
export function filterKeys(spec: ColumnSpec, values: ReadonlySet<string | number | bigint | boolean>): Set<string> {
  try {
    const filterData = buildColumn(spec, [...values]);
    return new Set(rowKeyStrings([viewOf(spec, filterData)], values.size));
  } catch (err) {
    if (!(err instanceof TableError)) throw err;
    throw new TableError('BAD_FILTER', `a filter value does not fit column "${spec.name}": ${err.message}`, spec.name, { cause: err });
  }
}

/** One IPC stream with one batch holding the rows of every `ipcs` batch in order (each decoded and checked again). */
export function concatBatches(schema: TableSchema, ipcs: Uint8Array[]): Uint8Array {
  if (ipcs.length === 0) throw new TableError('EMPTY_BATCH', 'no batches to concatenate');
  const decoded = ipcs.map((ipc) => decodeAppendBatch(schema, ipc, NO_LIMITS));
  if (decoded.length === 1) return decoded[0]!.ipc;
  const c = compile(schema);
  const rows = decoded.reduce((sum, d) => sum + d.numRows, 0);
  const children = c.schema.columns.map((spec, i) => {
    const appender = new ColumnAppender(spec, rows);
    for (const d of decoded) appender.appendRange(viewOf(spec, d.batch.data.children[i]!), 0, d.numRows);
    return appender.finish();
  });
  return toIpc(c, children, rows);
}

/** Rows as objects keyed by column name; values as docs/types.md ("Values") lists them, null for null. */
export function batchToRows(batch: DecodedBatch): Array<Record<string, unknown>> {
  const views = viewsOf(batch);
  const out = new Array<Record<string, unknown>>(batch.numRows);
  for (let i = 0; i < batch.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (const v of views) row[v.spec.name] = readValue(v, i);
    out[i] = row;
  }
  return out;
}

/** Columns keyed by name: a typed array for a null-free numeric column, else an array of batchToRows values. */
export function batchToColumns(batch: DecodedBatch): Record<string, unknown[] | ArrayLike<unknown>> {
  const out: Record<string, unknown[] | ArrayLike<unknown>> = {};
  for (const v of viewsOf(batch)) out[v.spec.name] = readColumn(v);
  return out;
}
