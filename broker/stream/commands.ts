// What a stream group's Raft log holds: one command per entry. The leader validates a request,
// encodes it here and proposes it; every replica decodes and applies the same bytes, so the
// table schema, the dedup decisions and the persisted subscription offsets travel in the log and a
// restarted node needs no re-creation.
//
// Layout: version u8 | kind u8 | body. An append's body is binary (the hot path); every other
// command's body is JSON text, since they are rare and small. An append that names its producer
// (exactly-once) is kind ProducerAppend, so logs written before it still decode.

import { CodedError } from '../../storage/state/errors.js';

export const COMMAND_FORMAT_VERSION = 1;

export enum CommandKind {
  CreateTable = 1,
  Append = 2,
  SetFilterColumn = 3,
  PersistOffset = 4,
  RemoveOffset = 5,
  DropTable = 6,
  ProducerAppend = 7,
}

/** Who sent an append, for exactly-once: the same (id, sequence) is applied at most once per table. */
export interface ProducerStamp {
  /** 1..MAX_PRODUCER_ID_BYTES bytes of UTF-8. */
  id: string;
  /** >= 1, below 2^53. */
  sequence: number;
}

export const MAX_PRODUCER_ID_BYTES = 64;

export interface CreateTableCommand {
  kind: CommandKind.CreateTable;
  table: string;
  /** encodeSchema() bytes, base64 in the JSON body. */
  schema: Uint8Array;
  cacheLimit: number;
  keyColumns: string[];
  retentionMinutes: number;
  filterColumn: string;
}

export interface AppendCommand {
  kind: CommandKind.Append;
  table: string;
  /** Rows in `ipc`, counted by the leader when it validated the batch. */
  rowCount: number;
  /** The leader's clock when it proposed: every replica stamps the batch with it, for retention. */
  appendedAtMs: number;
  /** Arrow IPC stream bytes of one record batch, as the client sent them. */
  ipc: Uint8Array;
  /** Set when the client asked for exactly-once (encoded as kind ProducerAppend). */
  producer?: ProducerStamp;
}

export interface SetFilterColumnCommand { kind: CommandKind.SetFilterColumn; table: string; column: string }
export interface PersistOffsetCommand { kind: CommandKind.PersistOffset; topic: string; offset: number }
export interface RemoveOffsetCommand { kind: CommandKind.RemoveOffset; topic: string }
export interface DropTableCommand { kind: CommandKind.DropTable; table: string }

export type StreamCommand =
  | CreateTableCommand
  | AppendCommand
  | SetFilterColumnCommand
  | PersistOffsetCommand
  | RemoveOffsetCommand
  | DropTableCommand;

export class CommandDecodeError extends CodedError<'BAD_COMMAND'> {
  override readonly name = 'CommandDecodeError';
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const APPEND_HEADER_BYTES = 2 + 2 + 4 + 8; // version, kind, name length u16, rows u32, appendedAtMs f64
const PRODUCER_HEADER_BYTES = 8 + 1; // sequence u64, producer id length u8 (ProducerAppend only)

export function encodeCommand(c: StreamCommand): Uint8Array {
  if (c.kind === CommandKind.Append) return encodeAppend(c);
  const { kind, ...fields } = c;
  const body = kind === CommandKind.CreateTable
    ? { ...fields, schema: Buffer.from((c as CreateTableCommand).schema).toString('base64') }
    : fields;
  const json = utf8.encode(JSON.stringify(body));
  const out = new Uint8Array(2 + json.byteLength);
  out[0] = COMMAND_FORMAT_VERSION;
  out[1] = kind;
  out.set(json, 2);
  return out;
}

function encodeAppend(c: AppendCommand): Uint8Array {
  const name = utf8.encode(c.table);
  const producer = c.producer === undefined ? undefined : utf8.encode(c.producer.id);
  const producerBytes = producer === undefined ? 0 : PRODUCER_HEADER_BYTES + producer.byteLength;
  const out = new Uint8Array(APPEND_HEADER_BYTES + producerBytes + name.byteLength + c.ipc.byteLength);
  const view = new DataView(out.buffer);
  out[0] = COMMAND_FORMAT_VERSION;
  out[1] = producer === undefined ? CommandKind.Append : CommandKind.ProducerAppend;
  view.setUint16(2, name.byteLength);
  view.setUint32(4, c.rowCount);
  view.setFloat64(8, c.appendedAtMs);
  let at = APPEND_HEADER_BYTES;
  if (producer !== undefined) {
    // sequence as two u32 halves (it stays below 2^53), then the id's length and bytes
    view.setUint32(at, Math.floor(c.producer!.sequence / 2 ** 32));
    view.setUint32(at + 4, c.producer!.sequence >>> 0);
    out[at + 8] = producer.byteLength;
    out.set(producer, at + PRODUCER_HEADER_BYTES);
    at += producerBytes;
  }
  out.set(name, at);
  out.set(c.ipc, at + name.byteLength);
  return out;
}

/** Decodes an entry's data. The log is trusted (we wrote it), but a bad entry must fail loudly, not be half-applied. */
export function decodeCommand(data: Uint8Array): StreamCommand {
  if (data.byteLength < 2 || data[0] !== COMMAND_FORMAT_VERSION) {
    throw new CommandDecodeError('BAD_COMMAND', `log entry of ${data.byteLength} bytes is not a stream command of format ${COMMAND_FORMAT_VERSION}`);
  }
  const kind = data[1]!;
  if (kind === CommandKind.Append || kind === CommandKind.ProducerAppend) return decodeAppend(data, kind === CommandKind.ProducerAppend);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(utf8Decoder.decode(data.subarray(2))) as Record<string, unknown>;
  } catch (cause) {
    throw new CommandDecodeError('BAD_COMMAND', `stream command of kind ${kind} has a body that is not JSON`, { cause });
  }
  switch (kind) {
    case CommandKind.CreateTable:
      return {
        kind, table: text(body, 'table'), schema: Buffer.from(text(body, 'schema'), 'base64'),
        cacheLimit: int(body, 'cacheLimit'), keyColumns: texts(body, 'keyColumns'),
        retentionMinutes: int(body, 'retentionMinutes'), filterColumn: typeof body['filterColumn'] === 'string' ? body['filterColumn'] : '',
      };
    case CommandKind.SetFilterColumn: return { kind, table: text(body, 'table'), column: text(body, 'column') };
    case CommandKind.PersistOffset: return { kind, topic: text(body, 'topic'), offset: int(body, 'offset') };
    case CommandKind.RemoveOffset: return { kind, topic: text(body, 'topic') };
    case CommandKind.DropTable: return { kind, table: text(body, 'table') };
    default: throw new CommandDecodeError('BAD_COMMAND', `unknown stream command kind ${kind}`);
  }
}

function decodeAppend(data: Uint8Array, withProducer: boolean): AppendCommand {
  if (data.byteLength < APPEND_HEADER_BYTES) throw new CommandDecodeError('BAD_COMMAND', 'append command is truncated');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const nameBytes = view.getUint16(2);
  let at = APPEND_HEADER_BYTES;
  let producer: ProducerStamp | undefined;
  if (withProducer) {
    if (data.byteLength < at + PRODUCER_HEADER_BYTES) throw new CommandDecodeError('BAD_COMMAND', 'append command is truncated in its producer');
    const sequence = view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4);
    const idBytes = data[at + 8]!;
    at += PRODUCER_HEADER_BYTES;
    if (data.byteLength < at + idBytes) throw new CommandDecodeError('BAD_COMMAND', 'append command is truncated in its producer id');
    producer = { id: utf8Decoder.decode(data.subarray(at, at + idBytes)), sequence };
    at += idBytes;
  }
  const ipcStart = at + nameBytes;
  if (data.byteLength < ipcStart) throw new CommandDecodeError('BAD_COMMAND', 'append command is truncated in its table name');
  const command: AppendCommand = {
    kind: CommandKind.Append,
    table: utf8Decoder.decode(data.subarray(at, ipcStart)),
    rowCount: view.getUint32(4),
    appendedAtMs: view.getFloat64(8),
    ipc: data.subarray(ipcStart),
  };
  if (producer !== undefined) command.producer = producer;
  return command;
}

function text(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== 'string') throw new CommandDecodeError('BAD_COMMAND', `stream command field ${field} is not text`);
  return v;
}

function texts(body: Record<string, unknown>, field: string): string[] {
  const v = body[field];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new CommandDecodeError('BAD_COMMAND', `stream command field ${field} is not a list of text`);
  return v as string[];
}

function int(body: Record<string, unknown>, field: string): number {
  const v = body[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new CommandDecodeError('BAD_COMMAND', `stream command field ${field} is not an integer`);
  return v;
}
