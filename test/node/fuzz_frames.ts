// Seeded hostile client input for a running data node: random bytes, valid request frames with bytes
// flipped / cut / inserted, requests for methods that do not exist, bodies of random field values, and
// appends whose Arrow bytes are random or mutated; and, for each message, the answer the protocol
// promises (decided by the same decoder the node runs). Pure: a seed and a corpus in, bytes out; the
// test that sends them (bad_input.test.ts) does the I/O.

import { SeededRandom } from '../../broker/raft/random.js';
import { METHODS, Method, ProtocolError, RequestOf, decodeFrame, encodeRequest } from '../../broker/protocol/frames.js';
import { wire } from '../../broker/protocol/wire.js';
import { SHOAL_TYPES } from '../../broker/table/column_types.js';
import { mutate, randomBytes } from '../fuzz_bytes.js';

export type FuzzKind =
  | 'randomBytes' // 0..96 bytes of noise
  | 'mutatedFrame' // a valid request frame with 1-4 edits
  | 'unknownMethod' // a well-formed request frame naming a method no node has
  | 'randomBody' // a valid request of a known method whose fields hold random values
  | 'randomArrow' // an append whose Arrow bytes are noise
  | 'mutatedArrow' // an append whose Arrow bytes are a valid batch with 1-4 edits
  | 'textMessage'; // a WebSocket text message (the protocol is binary)

/** Relative weights of each kind; a kind left out is never chosen. */
export type FuzzMix = Partial<Record<FuzzKind, number>>;

export interface FuzzCase {
  kind: FuzzKind;
  /** A string goes out as a text message, bytes as a binary one. */
  message: Uint8Array | string;
}

/** What the generated requests refer to, so that valid-looking ones reach past the table lookup. */
export interface FuzzTargets {
  group: number;
  table: string; // an existing table the append cases write to
  topic: string; // a topic of that table
  /** Valid Arrow IPC batches for `table` (and some for other schemas), the seeds of mutatedArrow. */
  arrowBatches: Uint8Array[];
}

/** Request ids of generated frames stay below this, so a caller's own ids above it never collide. */
export const FUZZ_REQUEST_ID_LIMIT = 1_000_000;

const UNKNOWN_METHOD_NAMES = [
  '', 'Append', 'append ', ' login', 'LOGIN', 'subscribe', 'drop', 'admin', '__proto__', 'constructor',
  'toString', 'hasOwnProperty', 'login\u0000', 'append\u0000x', '\u00e4ppend', 'getStreamingLeader2', '..', '/client',
];

/** One valid request of every method, each naming `targets` where it names anything. */
export function requestTemplates(t: FuzzTargets): { [M in Method]: RequestOf<M> } {
  const columns = [{ name: 'id', type: 'STRING', scale: 0 }, { name: 'v', type: 'DOUBLE', scale: 0 }];
  return {
    login: { userId: 'admin', password: 'not-the-password' },
    haStreamTable: { raftGroup: t.group, tableName: 'fz_new', schema: columns, cacheLimit: 100, keyColumns: ['id'], retentionMinutes: 5, filterColumn: 'id' },
    streamTable: { tableName: 'fz_local', schema: columns, cacheLimit: 100, keyColumns: [], retentionMinutes: 5, filterColumn: '' },
    setStreamTableFilterColumn: { tableName: t.table, column: 'id' },
    append: { tableName: t.table, producerId: 'fuzz', sequence: 1 },
    subscribeTable: { tableName: t.table, actionName: 'fz_sub', offset: 0, filter: [], persistOffset: true, batchSize: 16 },
    ackOffset: { topic: t.topic, offset: 0 },
    unsubscribeTable: { tableName: t.table, actionName: 'fz_sub' },
    getTopicProcessedOffset: { topic: t.topic },
    removeTopicOffset: { topic: t.topic },
    dropStreamTable: { tableName: 'fz_drop' }, // never the fuzzed table: the append cases need it
    getStreamingRaftGroups: {},
    getStreamingLeader: { groupId: t.group },
    getPersistenceMeta: { tableName: t.table },
    getStreamingStat: {},
    readTable: { tableName: t.table, offset: 0, maxRows: 50 },
    listTables: {},
  };
}

export class FrameFuzzer {
  private readonly r: SeededRandom;
  private readonly templates: { [M in Method]: RequestOf<M> };
  private readonly corpus: Uint8Array[];
  private readonly kinds: FuzzKind[];
  private readonly weights: number[];
  private readonly totalWeight: number;

  constructor(seed: number, private readonly targets: FuzzTargets, mix: FuzzMix) {
    this.r = new SeededRandom(seed);
    this.templates = requestTemplates(targets);
    // The smallest batch, so that edits of the append frame land in its envelope as often as in its rows.
    const smallest = [...targets.arrowBatches].sort((a, b) => a.byteLength - b.byteLength)[0];
    this.corpus = METHODS.map((m, i) => encodeRequest(i + 1, m, this.templates[m] as never, m === 'append' ? smallest : undefined));
    this.kinds = (Object.keys(mix) as FuzzKind[]).filter((k) => (mix[k] ?? 0) > 0);
    this.weights = this.kinds.map((k) => mix[k]!);
    this.totalWeight = this.weights.reduce((a, b) => a + b, 0);
    if (this.totalWeight <= 0) throw new RangeError('a fuzz mix needs at least one kind with a positive weight');
  }

  next(): FuzzCase {
    const kind = this.pickKind();
    return { kind, message: this.make(kind) };
  }

  private pickKind(): FuzzKind {
    let x = this.r.intBelow(this.totalWeight);
    for (let i = 0; i < this.kinds.length; i++) {
      x -= this.weights[i]!;
      if (x < 0) return this.kinds[i]!;
    }
    return this.kinds[this.kinds.length - 1]!;
  }

  private make(kind: FuzzKind): Uint8Array | string {
    const r = this.r;
    switch (kind) {
      case 'randomBytes': return randomBytes(r, 96);
      case 'mutatedFrame': return mutate(r, r.pick(this.corpus));
      case 'unknownMethod': return this.unknownMethodFrame();
      case 'randomBody': return this.randomBodyFrame();
      case 'randomArrow': return this.appendFrame(randomBytes(r, 256));
      case 'mutatedArrow': {
        const valid = r.pick(this.targets.arrowBatches);
        return this.appendFrame(r.chance(0.5) ? mutate(r, valid) : overwriteOneValueByte(r, valid));
      }
      case 'textMessage': return r.chance(0.5) ? 'hello' : Buffer.from(randomBytes(r, 40)).toString('latin1');
    }
  }

  private requestId(): number {
    return 1 + this.r.intBelow(FUZZ_REQUEST_ID_LIMIT - 1);
  }

  /** A request frame built from the generated classes directly: encodeRequest refuses unknown methods. */
  private unknownMethodFrame(): Uint8Array {
    const r = this.r;
    const method = r.chance(0.7) ? r.pick(UNKNOWN_METHOD_NAMES) : randomText(r, 24);
    const frame: Record<string, unknown> = { requestId: this.requestId(), kind: wire.v1.Kind.KIND_REQUEST, method };
    if (r.chance(0.5)) frame['appendRequest'] = { tableName: this.targets.table };
    if (r.chance(0.3)) frame['arrow'] = this.targets.arrowBatches[0];
    return wire.v1.Frame.encode(frame as never).finish();
  }

  private randomBodyFrame(): Uint8Array {
    const r = this.r;
    const method = r.pick(METHODS);
    const body = randomize(r, this.templates[method], this.targets) as Record<string, unknown>;
    if (method === 'dropStreamTable' && body['tableName'] === this.targets.table) body['tableName'] = 'fz_drop';
    const arrow = method === 'append' && r.chance(0.8) ? r.pick(this.targets.arrowBatches) : undefined;
    try {
      return encodeRequest(this.requestId(), method, body as never, arrow);
    } catch {
      // A value the encoder refuses (a float in an integer field): that case is the encoder's, not the node's.
      return encodeRequest(this.requestId(), method, this.templates[method] as never, arrow);
    }
  }

  private appendFrame(arrow: Uint8Array): Uint8Array {
    const body = { tableName: this.targets.table, ...(this.r.chance(0.3) ? { producerId: randomText(this.r, 8), sequence: this.r.intBelow(1000) } : {}) };
    return encodeRequest(this.requestId(), 'append', body, arrow.byteLength > 0 ? arrow : Uint8Array.of(0));
  }
}

export const WS_CLOSE_UNSUPPORTED_DATA = 1003; // a text message
export const WS_CLOSE_INVALID_PAYLOAD = 1007; // bytes that are not a frame

/** Kinds that keep the envelope valid and reach the service (for logged-in connections). */
export const DEEP_MIX: FuzzMix = { randomBody: 34, randomArrow: 15, mutatedArrow: 30, unknownMethod: 12, mutatedFrame: 7, randomBytes: 1, textMessage: 1 };
/** Kinds that attack the decoder (cheap to reconnect: no login). */
export const SHALLOW_MIX: FuzzMix = { randomBytes: 30, mutatedFrame: 40, unknownMethod: 10, randomBody: 10, mutatedArrow: 5, textMessage: 5 };

/**
 * What the node must do with one message, decided by the decoder it runs itself: a decodable frame
 * gets one reply or error with its request id and method, an unknown method gets UnknownMethod, and
 * anything else closes the connection.
 */
export type Expected = { answer: 'reply-or-error'; requestId: number; method: string } | { answer: 'UnknownMethod' } | { answer: 'close'; code: number };

export function expectationOf(message: Uint8Array | string): Expected {
  if (typeof message === 'string') return { answer: 'close', code: WS_CLOSE_UNSUPPORTED_DATA };
  try {
    const f = decodeFrame(message);
    return { answer: 'reply-or-error', requestId: f.requestId, method: f.method };
  } catch (err) {
    // docs/protocol.md: a frame whose request id could be read gets an error naming that id (UnknownMethod
    // or BadRequest) and the connection stays; anything less is closed.
    if (err instanceof ProtocolError && err.requestId !== undefined) return { answer: 'reply-or-error', requestId: err.requestId, method: err.method ?? '' };
    return { answer: 'close', code: WS_CLOSE_INVALID_PAYLOAD };
  }
}


/**
 * One byte of the batch's tail replaced: mostly column values, so the batch often stays valid and the
 * node stores rows no client wrote; half of the mutated Arrow cases, so appends that land get fuzzed too.
 */
function overwriteOneValueByte(r: SeededRandom, valid: Uint8Array): Uint8Array {
  const out = Uint8Array.from(valid);
  const eos = 8; // the end-of-stream marker
  const from = Math.floor(out.length * 0.6);
  if (out.length - eos > from) out[from + r.intBelow(out.length - eos - from)] = r.intBelow(256);
  return out;
}


function randomText(r: SeededRandom, maxLength: number): string {
  const alphabet = 'abcXYZ_09 -/.:$\u00e4\u4e2d\u{1f600}\u0000';
  const chars = [...alphabet];
  return Array.from({ length: r.intBelow(maxLength + 1) }, () => r.pick(chars)).join('');
}

const INTEGERS = [0, 1, 2, 7, 255, 2 ** 31 - 1, 2 ** 32 - 1, 2 ** 53 - 1, -1, -2, -(2 ** 31)];

/** A value shaped like `template` (same JSON type) with random content; arrays get 0-3 random elements. */
function randomize(r: SeededRandom, template: unknown, t: FuzzTargets, key = ''): unknown {
  if (typeof template === 'string') {
    const names = [t.table, t.topic, '', 'fz_drop', 'no_such_table', 'x'.repeat(300)];
    if (key === 'type') return r.chance(0.8) ? r.pick(SHOAL_TYPES) : randomText(r, 12);
    return r.chance(0.5) ? r.pick(names) : randomText(r, 40);
  }
  if (typeof template === 'number') return r.chance(0.7) ? r.pick(INTEGERS) : r.intBelow(1_000_000);
  if (typeof template === 'boolean') return r.chance(0.5);
  if (Array.isArray(template)) {
    if (key === 'filter') return Array.from({ length: r.intBelow(4) }, () => randomFilterValue(r));
    if (template.length === 0) return [];
    return Array.from({ length: r.intBelow(4) }, () => randomize(r, template[r.intBelow(template.length)], t, key));
  }
  if (typeof template === 'object' && template !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) if (r.chance(0.85)) out[k] = randomize(r, v, t, k);
    return out;
  }
  return template;
}

function randomFilterValue(r: SeededRandom): Record<string, unknown> {
  switch (r.intBelow(4)) {
    case 0: return { stringValue: randomText(r, 8) };
    case 1: return { int64Value: r.pick(INTEGERS) };
    case 2: return { doubleValue: r.intBelow(1000) / 7 };
    default: return { boolValue: r.chance(0.5) };
  }
}
