// Reads an untrusted Arrow IPC *stream* holding one record batch, without trusting a single length in it.
// apache-arrow's own reader trusts the FlatBuffers offsets and lengths of the metadata and throws whatever
// it hits; the server wants every length checked against the bytes it has and every failure typed, so it
// parses the few message kinds it accepts itself.
//
//   stream   := message* [EOS]
//   message  := 0xFFFFFFFF | int32 metadataBytes | Message flatbuffer (padded) | body (Message.bodyLength bytes)
//   EOS      := 0xFFFFFFFF | 0x00000000
//
// Accepted: one Schema message, then one RecordBatch message, then EOS or the end of the bytes.

import { FlatBuffer, Table } from './flatbuffer_reader.js';
import { TableError } from './errors.js';
import { SHOAL_TYPE_METADATA_KEY } from './schema.js';

export interface IpcField {
  name: string;
  /** The Arrow type as column_types.ts arrowSignatureOf spells it, e.g. 'Int(32,signed)', 'Timestamp(SECOND)'. */
  signature: string;
  /** The field's SHOAL_TYPE_METADATA_KEY (`shoal.type`) metadata, when it has one. */
  shoalType: string | undefined;
}

export interface IpcFieldNode { length: number; nullCount: number }
export interface IpcBuffer { offset: number; length: number }

export interface IpcRecordBatch {
  fields: IpcField[];
  /** The stream's schema message (continuation marker to the end of its body): a view of the input. */
  schemaMessage: Uint8Array;
  length: number;
  nodes: IpcFieldNode[];
  buffers: IpcBuffer[];
  /** The batch's body; buffer offsets count from its first byte. */
  body: Uint8Array;
}

const CONTINUATION = 0xffffffff;
const METADATA_V4 = 3;
const METADATA_V5 = 4;
const HEADER_SCHEMA = 1;
const HEADER_DICTIONARY_BATCH = 2;
const HEADER_RECORD_BATCH = 3;

function bad(message: string): TableError {
  return new TableError('BAD_ARROW', `${message}; send one Arrow IPC stream (schema, one record batch, end of stream)`);
}

/**
 * A schema message read before. A client sends the same schema message with every append, and parsing
 * it was most of validating a one-row batch: a stream that starts with exactly these bytes has these fields.
 */
export interface KnownSchema { message: Uint8Array; fields: IpcField[] }

/** `checkFields` sees the schema before any batch is read, so a wrong column is reported as such, not as what follows it. */
export function readIpcStream(bytes: Uint8Array, checkFields: (fields: IpcField[]) => void, known?: KnownSchema): IpcRecordBatch {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let fields: IpcField[] | undefined;
  let schemaEnd = 0;
  let batch: IpcRecordBatch | undefined;
  if (known !== undefined && startsWith(bytes, known.message)) {
    fields = known.fields;
    checkFields(fields);
    pos = schemaEnd = known.message.byteLength;
  }
  while (pos < bytes.byteLength) {
    if (bytes.byteLength - pos < 8) throw bad(`${bytes.byteLength - pos} stray bytes at byte ${pos}`);
    if (view.getUint32(pos, true) !== CONTINUATION) throw bad(`no continuation marker at byte ${pos} (pre-0.15 framing is not accepted)`);
    const metadataBytes = view.getInt32(pos + 4, true);
    pos += 8;
    if (metadataBytes === 0) {
      if (pos !== bytes.byteLength) throw bad(`${bytes.byteLength - pos} bytes after the end-of-stream marker`);
      break;
    }
    if (metadataBytes < 0 || metadataBytes > bytes.byteLength - pos) throw bad(`message metadata of ${metadataBytes} bytes at byte ${pos} overruns the ${bytes.byteLength} bytes`);
    const message = new FlatBuffer(bytes.subarray(pos, pos + metadataBytes)).root();
    pos += metadataBytes;
    const version = message.i16(0, 0);
    if (version !== METADATA_V4 && version !== METADATA_V5) throw bad(`Arrow metadata version ${version} (only V4 and V5 are accepted)`);
    const headerType = message.u8(1, 0);
    const header = message.table(2, 'message header');
    const bodyLength = message.safeU64(3, 'body length');
    if (bodyLength > bytes.byteLength - pos) throw bad(`message body of ${bodyLength} bytes at byte ${pos} overruns the ${bytes.byteLength} bytes`);
    const body = bytes.subarray(pos, pos + bodyLength);
    pos += bodyLength;
    if (header === undefined) throw bad('a message without a header');
    if (fields === undefined) {
      if (headerType !== HEADER_SCHEMA) throw bad(`the first message is of type ${headerType}, not a schema`);
      fields = readSchema(header);
      schemaEnd = pos;
      checkFields(fields);
    } else if (headerType === HEADER_RECORD_BATCH) {
      if (batch !== undefined) throw bad('more than one record batch in the stream');
      batch = readRecordBatch(header, fields, bytes.subarray(0, schemaEnd), body);
    } else if (headerType === HEADER_DICTIONARY_BATCH) {
      throw bad('a dictionary batch (no Shoal column is dictionary-encoded: SYMBOL is plain utf8)');
    } else {
      throw bad(`a message of type ${headerType} after the schema`);
    }
  }
  if (fields === undefined) throw bad(`no schema message in ${bytes.byteLength} bytes`);
  if (batch === undefined) throw new TableError('EMPTY_BATCH', 'the stream holds a schema but no record batch; send at least one row');
  return batch;
}

function readSchema(schema: Table): IpcField[] {
  if (schema.i16(0, 0) !== 0) throw bad('a big-endian schema (send little-endian data)');
  const list = schema.vector(1, 4, 'schema fields');
  const fields: IpcField[] = [];
  for (let i = 0; i < list.count; i++) {
    const field = schema.tableAt(list.start, i, 'field');
    const name = field.string(0, 'field name') ?? '';
    let signature = typeSignature(field.u8(2, 0), field.table(3, 'field type'));
    if (field.has(4)) signature = `Dictionary(${signature})`;
    const children = field.vector(5, 4, 'field children').count;
    if (children > 0) signature += `[${children} children]`;
    let shoalType: string | undefined;
    const metadata = field.vector(6, 4, 'field metadata');
    for (let k = 0; k < metadata.count; k++) {
      const kv = field.tableAt(metadata.start, k, 'field metadata entry');
      if (kv.string(0, 'metadata key') === SHOAL_TYPE_METADATA_KEY) shoalType = kv.string(1, 'metadata value');
    }
    fields.push({ name, signature, shoalType });
  }
  return fields;
}

const TIME_UNITS = ['SECOND', 'MILLISECOND', 'MICROSECOND', 'NANOSECOND'];
const TYPE_NAMES = ['NONE', 'Null', 'Int', 'FloatingPoint', 'Binary', 'Utf8', 'Bool', 'Decimal', 'Date', 'Time', 'Timestamp',
  'Interval', 'List', 'Struct', 'Union', 'FixedSizeBinary', 'FixedSizeList', 'Map', 'Duration', 'LargeBinary', 'LargeUtf8',
  'LargeList', 'RunEndEncoded', 'BinaryView', 'Utf8View', 'ListView', 'LargeListView'];

/** The Arrow type of a field spelled as column_types.ts arrowSignatureOf does (defaults from Schema.fbs). */
function typeSignature(typeId: number, t: Table | undefined): string {
  const unit = (u: number): string => TIME_UNITS[u] ?? `unit ${u}`;
  switch (typeId) {
    case 2: return `Int(${t?.i32(0, 0) ?? 0},${t?.bool(1, false) ? 'signed' : 'unsigned'})`;
    case 3: return `FloatingPoint(${['HALF', 'SINGLE', 'DOUBLE'][t?.i16(0, 0) ?? 0] ?? 'unknown'})`;
    case 7: return `Decimal(${t?.i32(0, 0) ?? 0},${t?.i32(1, 0) ?? 0},${t?.i32(2, 128) ?? 128})`;
    case 8: return `Date(${(t?.i16(0, 1) ?? 1) === 0 ? 'DAY' : 'MILLISECOND'})`;
    case 9: return `Time(${unit(t?.i16(0, 1) ?? 1)},${t?.i32(1, 32) ?? 32})`;
    case 10: {
      const tz = t?.string(1, 'timezone');
      return `Timestamp(${unit(t?.i16(0, 0) ?? 0)}${tz === undefined ? '' : `,${tz}`})`;
    }
    case 15: return `FixedSizeBinary(${t?.i32(0, 0) ?? 0})`;
    default: return TYPE_NAMES[typeId] ?? `type ${typeId}`;
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.byteLength < prefix.byteLength) return false;
  return Buffer.from(bytes.buffer, bytes.byteOffset, prefix.byteLength).equals(prefix);
}

function readRecordBatch(rb: Table, fields: IpcField[], schemaMessage: Uint8Array, body: Uint8Array): IpcRecordBatch {
  const length = rb.safeU64(0, 'record batch length');
  if (rb.has(3)) throw bad('a compressed record batch (send it uncompressed)');
  const nodeList = rb.vector(1, 16, 'field nodes');
  const nodes: IpcFieldNode[] = [];
  for (let i = 0; i < nodeList.count; i++) {
    const p = nodeList.start + 16 * i;
    nodes.push({ length: rb.structU64(p, 'node length'), nullCount: rb.structU64(p + 8, 'node null count') });
  }
  const bufferList = rb.vector(2, 16, 'buffers');
  const buffers: IpcBuffer[] = [];
  for (let i = 0; i < bufferList.count; i++) {
    const p = bufferList.start + 16 * i;
    const offset = rb.structU64(p, 'buffer offset');
    const bytes = rb.structU64(p + 8, 'buffer length');
    if (offset + bytes > body.byteLength) throw bad(`buffer ${i} (${bytes} bytes at ${offset}) overruns the ${body.byteLength}-byte body`);
    buffers.push({ offset, length: bytes });
  }
  return { fields, schemaMessage, length, nodes, buffers, body };
}
