// What a stream group's Raft log holds: one command per entry. The leader validates a request,
// encodes it here and proposes it; every replica decodes and applies the same bytes, so the
// table schema, the dedup decisions and the persisted subscription offsets travel in the log and a
// restarted node needs no re-creation.
//
// Layout: version u8 | kind u8 | body. An append's body is binary (the hot path); every other
// command's body is JSON text, since they are rare and small.

import { CodedError } from '../../storage/state/errors.js';

export const COMMAND_FORMAT_VERSION = 1;

export enum CommandKind {
  CreateTable = 1,
  Append = 2,
  SetFilterColumn = 3,
  PersistOffset = 4,
  RemoveOffset = 5,
  DropTable = 6,
}

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
  const out = new Uint8Array(APPEND_HEADER_BYTES + name.byteLength + c.ipc.byteLength);
  const view = new DataView(out.buffer);
  out[0] = COMMAND_FORMAT_VERSION;
  out[1] = CommandKind.Append;
  view.setUint16(2, name.byteLength);
  view.setUint32(4, c.rowCount);
  view.setFloat64(8, c.appendedAtMs);
  out.set(name, APPEND_HEADER_BYTES);
  out.set(c.ipc, APPEND_HEADER_BYTES + name.byteLength);
  return out;
}

/** Decodes an entry's data. The log is trusted (we wrote it), but a bad entry must fail loudly, not be half-applied. */
export function decodeCommand(data: Uint8Array): StreamCommand {
  if (data.byteLength < 2 || data[0] !== COMMAND_FORMAT_VERSION) {
    throw new CommandDecodeError('BAD_COMMAND', `log entry of ${data.byteLength} bytes is not a stream command of format ${COMMAND_FORMAT_VERSION}`);
  }
  const kind = data[1]!;
  if (kind === CommandKind.Append) return decodeAppend(data);
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

function decodeAppend(data: Uint8Array): AppendCommand {
  if (data.byteLength < APPEND_HEADER_BYTES) throw new CommandDecodeError('BAD_COMMAND', 'append command is truncated');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const nameBytes = view.getUint16(2);
  const ipcStart = APPEND_HEADER_BYTES + nameBytes;
  if (data.byteLength < ipcStart) throw new CommandDecodeError('BAD_COMMAND', 'append command is truncated in its table name');
  return {
    kind: CommandKind.Append,
    table: utf8Decoder.decode(data.subarray(APPEND_HEADER_BYTES, ipcStart)),
    rowCount: view.getUint32(4),
    appendedAtMs: view.getFloat64(8),
    ipc: data.subarray(ipcStart),
  };
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
