// The keyspace of the state store. Every key begins with the Raft group id and a generation, so a
// group's state is one contiguous range and a snapshot install can write a whole new copy beside the
// old one (storage/snapshot/) and drop the old one with a single delete-range.
//
//   group u32 BE | generation u32 BE | kind u8 | rest
//
//   generation 0 holds the group's own records, never part of a snapshot:
//     kind 0x00 GENERATION_POINTER  rest: empty                    value: GenerationPointer
//     kind 0x01 CHECKPOINT          rest: empty                    value: CheckpointRecord
//   generations 1.. hold the group's state (the current one is named by the pointer; 1 when absent):
//     kind 0x10 TABLE_META          rest: name                     value: TableMeta
//     kind 0x11 TABLE_BATCH         rest: name | firstOffset u64 BE value: TableBatchValue
//     kind 0x12 DEDUP               rest: name | key bytes         value: DedupEntry
//     kind 0x13 SUBSCRIPTION_OFFSET rest: topic                    value: SubscriptionOffset
//     kind 0x14 PRODUCER_SEQUENCE   rest: name | producer | sequence u64 BE   value: ProducerOutcome
//
//   name, topic, producer: u16 BE byte length | UTF-8 (1..65535 bytes). The length prefix keeps the range of
//   table "a" from containing any key of table "ab"; u64 BE offsets make a scan go in offset order.

import { ByteReader, ByteWriter, MAX_U32 } from './binary.js';
import { StateDecodeError } from './errors.js';
import { KeyRange } from './state_store.js';

export enum KeyKind {
  GenerationPointer = 0x00,
  Checkpoint = 0x01,
  AppliedLsn = 0x02,
  TableMeta = 0x10,
  TableBatch = 0x11,
  Dedup = 0x12,
  SubscriptionOffset = 0x13,
  ProducerSequence = 0x14,
}

/** Generation 0 is the group's own records; state lives in generations 1 and up. */
export const GROUP_RECORDS_GENERATION = 0;
export const FIRST_GENERATION = 1;
export const MAX_GENERATION = MAX_U32;
export const GROUP_PREFIX_BYTES = 8;

export type StateKey =
  | { kind: KeyKind.GenerationPointer; group: number }
  | { kind: KeyKind.Checkpoint; group: number }
  | { kind: KeyKind.AppliedLsn; group: number }
  | { kind: KeyKind.TableMeta; group: number; generation: number; table: string }
  | { kind: KeyKind.TableBatch; group: number; generation: number; table: string; firstOffset: number }
  | { kind: KeyKind.Dedup; group: number; generation: number; table: string; dedupKey: Uint8Array }
  | { kind: KeyKind.SubscriptionOffset; group: number; generation: number; topic: string }
  | { kind: KeyKind.ProducerSequence; group: number; generation: number; table: string; producer: string; sequence: number };

function head(group: number, generation: number, kind: KeyKind): ByteWriter {
  return new ByteWriter(32).u32(group).u32(generation).u8(kind);
}

export function generationPointerKey(group: number): Uint8Array {
  return head(group, GROUP_RECORDS_GENERATION, KeyKind.GenerationPointer).finish();
}

export function checkpointKey(group: number): Uint8Array {
  return head(group, GROUP_RECORDS_GENERATION, KeyKind.Checkpoint).finish();
}

/** The LSN of the last entry whose ops reached the store: written with every store write of the group. */
export function appliedLsnKey(group: number): Uint8Array {
  return head(group, GROUP_RECORDS_GENERATION, KeyKind.AppliedLsn).finish();
}

export function tableMetaKey(group: number, generation: number, table: string): Uint8Array {
  return head(group, checkDataGeneration(generation), KeyKind.TableMeta).name16(table, 'table name').finish();
}

export function tableBatchKey(group: number, generation: number, table: string, firstOffset: number): Uint8Array {
  return head(group, checkDataGeneration(generation), KeyKind.TableBatch).name16(table, 'table name').u64(firstOffset).finish();
}

export function dedupKey(group: number, generation: number, table: string, key: Uint8Array): Uint8Array {
  return head(group, checkDataGeneration(generation), KeyKind.Dedup).name16(table, 'table name').raw(key).finish();
}

export function subscriptionOffsetKey(group: number, generation: number, topic: string): Uint8Array {
  return head(group, checkDataGeneration(generation), KeyKind.SubscriptionOffset).name16(topic, 'topic').finish();
}

/** The outcome of one applied append of a producer (exactly-once appends). */
export function producerSequenceKey(group: number, generation: number, table: string, producer: string, sequence: number): Uint8Array {
  return head(group, checkDataGeneration(generation), KeyKind.ProducerSequence).name16(table, 'table name').name16(producer, 'producer id').u64(sequence).finish();
}

/** Every remembered sequence of one producer of one table, in sequence order. */
export function producerRange(group: number, generation: number, table: string, producer: string): KeyRange {
  return prefixRange(head(group, checkDataGeneration(generation), KeyKind.ProducerSequence).name16(table, 'table name').name16(producer, 'producer id').finish());
}

/** Every remembered sequence of every producer of one table. */
export function tableProducersRange(group: number, generation: number, table: string): KeyRange {
  return prefixRange(head(group, checkDataGeneration(generation), KeyKind.ProducerSequence).name16(table, 'table name').finish());
}

/** Every batch of one table, in offset order. */
export function tableBatchRange(group: number, generation: number, table: string): KeyRange {
  return prefixRange(head(group, checkDataGeneration(generation), KeyKind.TableBatch).name16(table, 'table name').finish());
}

/** Every record of one kind in a generation (e.g. all table metadata), for loading a group at startup. */
export function kindRange(group: number, generation: number, kind: KeyKind.TableMeta | KeyKind.SubscriptionOffset): KeyRange {
  return prefixRange(head(group, checkDataGeneration(generation), kind).finish());
}

/** Every dedup entry of one table. */
export function dedupRange(group: number, generation: number, table: string): KeyRange {
  return prefixRange(head(group, checkDataGeneration(generation), KeyKind.Dedup).name16(table, 'table name').finish());
}

/** Everything in one generation of a group: what a snapshot exports, and what an install replaces. */
export function generationRange(group: number, generation: number): KeyRange {
  const gte = new ByteWriter(8).u32(group).u32(generation).finish();
  return { gte, lt: prefixEnd(gte) };
}

/** Generations [from, to) of a group, as one range: how stale generations are dropped. */
export function generationsRange(group: number, fromGeneration: number, toGeneration: number): KeyRange {
  const gte = new ByteWriter(8).u32(group).u32(fromGeneration).finish();
  const lt = toGeneration > MAX_GENERATION ? prefixEnd(new ByteWriter(4).u32(group).finish()) : new ByteWriter(8).u32(group).u32(toGeneration).finish();
  return { gte, lt };
}

/** The key without its group and generation: how a snapshot carries it. */
export function stripGroupPrefix(key: Uint8Array): Uint8Array {
  if (key.byteLength <= GROUP_PREFIX_BYTES) throw new StateDecodeError('BAD_KEY', `state key of ${key.byteLength} bytes has no kind`);
  return key.subarray(GROUP_PREFIX_BYTES);
}

/** Puts a stripped key back under a group and generation. */
export function withGroupPrefix(group: number, generation: number, stripped: Uint8Array): Uint8Array {
  return new ByteWriter(GROUP_PREFIX_BYTES + stripped.byteLength).u32(group).u32(generation).raw(stripped).finish();
}

export function decodeStateKey(key: Uint8Array): StateKey {
  const r = new ByteReader(key, 'state key');
  const group = r.u32();
  const generation = r.u32();
  const kind = r.u8();
  const isGroupRecord = kind === KeyKind.GenerationPointer || kind === KeyKind.Checkpoint || kind === KeyKind.AppliedLsn;
  if (isGroupRecord !== (generation === GROUP_RECORDS_GENERATION)) {
    throw new StateDecodeError('BAD_KEY', `state key kind 0x${kind.toString(16)} does not belong in generation ${generation}`);
  }
  let out: StateKey;
  switch (kind) {
    case KeyKind.GenerationPointer:
    case KeyKind.Checkpoint:
    case KeyKind.AppliedLsn:
      out = { kind, group };
      break;
    case KeyKind.TableMeta:
      out = { kind, group, generation, table: r.name16() };
      break;
    case KeyKind.TableBatch:
      out = { kind, group, generation, table: r.name16(), firstOffset: r.u64() };
      break;
    case KeyKind.Dedup:
      return { kind, group, generation, table: r.name16(), dedupKey: new Uint8Array(r.rest()) };
    case KeyKind.SubscriptionOffset:
      out = { kind, group, generation, topic: r.name16() };
      break;
    case KeyKind.ProducerSequence:
      out = { kind, group, generation, table: r.name16(), producer: r.name16(), sequence: r.u64() };
      break;
    default:
      throw new StateDecodeError('BAD_KEY', `unknown state key kind 0x${kind.toString(16)}: written by a newer Shoal?`);
  }
  r.end();
  return out;
}

function checkDataGeneration(generation: number): number {
  if (!Number.isInteger(generation) || generation < FIRST_GENERATION || generation > MAX_GENERATION) {
    throw new RangeError(`state generation must be in ${FIRST_GENERATION}..${MAX_GENERATION}, got ${generation}: read it with currentGeneration()`);
  }
  return generation;
}

function prefixRange(prefix: Uint8Array): KeyRange {
  return { gte: prefix, lt: prefixEnd(prefix) };
}

/** The smallest key above every key that starts with `prefix`. Our prefixes never are all 0xff. */
function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  for (let i = end.byteLength - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  throw new RangeError('prefixEnd: a prefix of only 0xff bytes has no end');
}
