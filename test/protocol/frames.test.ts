// Client frames: every method's request and reply, every push and the error frame survive a round
// trip with every field set and with every field at its default; hand-assembled bytes (what a
// Python or Java client would send) decode as the docs say; bad frames fail with the right code.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodedError } from '../../storage/state/errors.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  METHODS,
  Method,
  PUSH_KINDS,
  ProtocolError,
  ProtocolErrorCode,
  decodeFrame,
  encodeError,
  encodePush,
  encodeReply,
  encodeRequest,
} from '../../broker/protocol/frames.js';
import { wire } from '../../broker/protocol/wire.js';
import {
  DEFAULT_PUSHES,
  DEFAULT_REPLIES,
  DEFAULT_REQUESTS,
  SAMPLE_PUSHES,
  SAMPLE_REPLIES,
  SAMPLE_REQUESTS,
  fakeArrow,
  plain,
} from './samples.js';

function assertProtocolError(fn: () => unknown, code: ProtocolErrorCode, context: { requestId?: number; method?: string } = {}): ProtocolError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `expected a ProtocolError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.startsWith(`<${code}> `), err.message);
    if ('requestId' in context) assert.equal(err.requestId, context.requestId);
    if ('method' in context) assert.equal(err.method, context.method);
    return err;
  }
  assert.fail(`expected ProtocolError ${code}, nothing was thrown`);
}

// A minimal protobuf writer independent of protobufjs: the bytes another language's client produces.
const varint = (n: number | bigint): number[] => {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return out;
};
const fieldVarint = (field: number, n: number | bigint): number[] => [...varint(field * 8), ...varint(n)];
const fieldBytes = (field: number, bytes: number[] | Uint8Array): number[] => [...varint(field * 8 + 2), ...varint(bytes.length), ...bytes];
const fieldString = (field: number, s: string): number[] => fieldBytes(field, [...new TextEncoder().encode(s)]);

test('every request round-trips with every field set, with and without arrow bytes', () => {
  for (const method of METHODS) {
    const arrow = method === 'append' ? fakeArrow(1000) : undefined;
    const bytes = encodeRequest(17, method, SAMPLE_REQUESTS[method] as never, arrow);
    for (const input of [bytes, plain(bytes)]) {
      const f = decodeFrame(input);
      assert.equal(f.kind, 'request');
      assert.equal(f.method, method);
      assert.equal(f.requestId, 17);
      assert.equal(f.errorCode, '');
      assert.equal(f.dataVersion, 0);
      assert.deepStrictEqual(f.body, SAMPLE_REQUESTS[method], method);
      assert.deepStrictEqual(f.arrow === undefined ? undefined : [...f.arrow], arrow === undefined ? undefined : [...arrow]);
    }
  }
});

test('every reply round-trips with its data version; readTable replies carry arrow bytes', () => {
  for (const method of METHODS) {
    const arrow = method === 'readTable' ? fakeArrow(333, 7) : undefined;
    const f = decodeFrame(encodeReply(2 ** 53 - 1, method, SAMPLE_REPLIES[method] as never, 123_456, arrow));
    assert.equal(f.kind, 'reply');
    assert.equal(f.method, method);
    assert.equal(f.requestId, 2 ** 53 - 1);
    assert.equal(f.dataVersion, 123_456);
    assert.deepStrictEqual(f.body, SAMPLE_REPLIES[method], method);
    assert.equal(f.arrow?.length, arrow?.length);
  }
});

test('every push round-trips with request id 0', () => {
  for (const kind of PUSH_KINDS) {
    const arrow = kind === 'rows' ? fakeArrow(64) : undefined;
    const f = decodeFrame(encodePush(kind, SAMPLE_PUSHES[kind] as never, arrow));
    assert.equal(f.kind, 'push');
    assert.equal(f.method, kind);
    assert.equal(f.requestId, 0);
    assert.deepStrictEqual(f.body, SAMPLE_PUSHES[kind]);
    assert.equal(f.arrow?.length, arrow?.length);
  }
});

test('empty bodies decode to exactly the proto defaults (the TS types and the .proto list the same fields)', () => {
  for (const method of METHODS) {
    const req = decodeFrame(encodeRequest(1, method, {} as never));
    assert.deepStrictEqual(req.body, DEFAULT_REQUESTS[method], `${method} request`);
    const rep = decodeFrame(encodeReply(1, method, {} as never));
    assert.deepStrictEqual(rep.body, DEFAULT_REPLIES[method], `${method} reply`);
  }
  for (const kind of PUSH_KINDS) assert.deepStrictEqual(decodeFrame(encodePush(kind, {} as never)).body, DEFAULT_PUSHES[kind]);
});

test('a request whose empty body was left out reads as the defaults', () => {
  const bytes = Uint8Array.from([...fieldVarint(1, 9), ...fieldVarint(2, 1), ...fieldString(3, 'listTables')]);
  const f = decodeFrame(bytes);
  assert.deepStrictEqual({ kind: f.kind, method: f.method, requestId: f.requestId, body: f.body }, { kind: 'request', method: 'listTables', requestId: 9, body: {} });
  const ack = decodeFrame(Uint8Array.from([...fieldVarint(1, 3), ...fieldVarint(2, 1), ...fieldString(3, 'ackOffset')]));
  assert.deepStrictEqual(ack.body, { topic: '', offset: 0 });
});

test('hand-assembled bytes decode as docs/protocol.md describes them', () => {
  // login: request_id=7, kind=REQUEST, method="login", login_request (21) {user_id, password}
  const login = [...fieldString(1, 'admin'), ...fieldString(2, '123456')];
  const f = decodeFrame(Uint8Array.from([...fieldVarint(1, 7), ...fieldVarint(2, 1), ...fieldString(3, 'login'), ...fieldBytes(21, login)]));
  assert.equal(f.kind === 'request' && f.method === 'login' && f.body.userId, 'admin');
  assert.deepStrictEqual(f.body, { userId: 'admin', password: '123456' });

  // append with arrow (20) before the body: field order is free on the wire.
  const append = [...fieldString(1, 't'), ...fieldVarint(3, 42)];
  const g = decodeFrame(Uint8Array.from([...fieldBytes(20, [1, 2, 3]), ...fieldBytes(29, append), ...fieldString(3, 'append'), ...fieldVarint(2, 1), ...fieldVarint(1, 8)]));
  assert.deepStrictEqual(g.body, { tableName: 't', sequence: 42 });
  assert.deepStrictEqual([...g.arrow!], [1, 2, 3]);

  // subscribeTable offset -1 travels as a ten-byte two's complement varint.
  const sub = [...fieldString(1, 't'), ...fieldString(2, 'a'), ...fieldVarint(3, -1)];
  const h = decodeFrame(Uint8Array.from([...fieldVarint(1, 1), ...fieldVarint(2, 1), ...fieldString(3, 'subscribeTable'), ...fieldBytes(31, sub)]));
  assert.equal(h.kind === 'request' && h.method === 'subscribeTable' && h.body.offset, -1);

  // rows push: kind=PUSH, rows_push (80)
  const rows = [...fieldString(1, 'topic'), ...fieldVarint(2, 100), ...fieldVarint(3, 2)];
  const p = decodeFrame(Uint8Array.from([...fieldVarint(2, 4), ...fieldString(3, 'rows'), ...fieldBytes(80, rows), ...fieldBytes(20, [9])]));
  assert.deepStrictEqual({ kind: p.kind, body: p.body }, { kind: 'push', body: { topic: 'topic', firstOffset: 100, rowCount: 2, offsets: [], nextOffset: 0 } }, 'fields a client leaves out decode as their defaults');

  // error: kind=ERROR with code and text
  const e = decodeFrame(Uint8Array.from([...fieldVarint(1, 5), ...fieldVarint(2, 3), ...fieldString(3, 'append'), ...fieldString(4, 'NotLeader'), ...fieldString(5, '<NotLeader>h:1:a')]));
  assert.deepStrictEqual({ ...e }, { kind: 'error', requestId: 5, method: 'append', errorCode: 'NotLeader', errorText: '<NotLeader>h:1:a', dataVersion: 0, body: undefined });
});

test('our encoder writes the bytes another client would write (field numbers are pinned)', () => {
  const expected = [...fieldVarint(1, 7), ...fieldVarint(2, 1), ...fieldString(3, 'login'), ...fieldBytes(21, [...fieldString(1, 'u'), ...fieldString(2, 'p')])];
  assert.deepStrictEqual([...encodeRequest(7, 'login', { userId: 'u', password: 'p' })], expected);
  const reply = [...fieldVarint(1, 7), ...fieldVarint(2, 2), ...fieldString(3, 'append'), ...fieldVarint(6, 300), ...fieldBytes(30, [...fieldVarint(1, 10), ...fieldVarint(2, 5)])];
  assert.deepStrictEqual([...encodeReply(7, 'append', { firstOffset: 10, rowsWritten: 5, rowsDropped: 0, repeated: false }, 300)], reply);
});

test('error frames round-trip, for any method name', () => {
  const f = decodeFrame(encodeError(44, 'append', 'NotLeader', '<NotLeader>127.0.0.1:8902:datanode2'));
  assert.deepStrictEqual({ ...f }, {
    kind: 'error',
    requestId: 44,
    method: 'append',
    errorCode: 'NotLeader',
    errorText: '<NotLeader>127.0.0.1:8902:datanode2',
    dataVersion: 0,
    body: undefined,
  });
  const g = decodeFrame(encodeError(45, 'noSuchMethod', 'UnknownMethod', 'no method noSuchMethod'));
  assert.equal(g.kind === 'error' && g.method, 'noSuchMethod');
});

test('arrow bytes are a view into the input, not a copy; empty arrow reads as absent', () => {
  const arrow = fakeArrow(4096);
  const input = plain(encodeRequest(1, 'append', { tableName: 't' }, arrow));
  const f = decodeFrame(input);
  assert.equal(f.arrow!.buffer, input.buffer);
  assert.ok(f.arrow!.byteOffset >= input.byteOffset && f.arrow!.byteOffset + 4096 <= input.byteOffset + input.byteLength);
  assert.deepStrictEqual(f.arrow, arrow);
  assert.equal(decodeFrame(encodeRequest(1, 'append', { tableName: 't' }, new Uint8Array(0))).arrow, undefined);
  assert.equal('arrow' in decodeFrame(encodeRequest(1, 'append', { tableName: 't' })), false);
});

test('arrow bytes of every length-prefix size come back whole and 8-aligned (the arrow field is appended by hand)', () => {
  for (const length of [1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152]) {
    const arrow = fakeArrow(length, length);
    const bytes = encodeRequest(3, 'append', { tableName: 't', sequence: 1 }, arrow);
    const f = decodeFrame(bytes);
    assert.ok(f.arrow !== undefined && Buffer.compare(f.arrow, arrow) === 0, `arrow of ${length} bytes`);
    assert.deepStrictEqual(f.body, { tableName: 't', sequence: 1 });
    assert.equal((f.arrow.byteOffset - bytes.byteOffset) % 8, 0, 'the Arrow bytes start 8-aligned in the frame');
    // protobufjs's own encoding of the same frame has the same length: no stray or missing byte.
    const arrowPadding = wire.v1.Frame.decode(bytes).arrowPadding;
    assert.ok(arrowPadding.byteLength < 8 && arrowPadding.every((b) => b === 0));
    const theirs = wire.v1.Frame.encode({ requestId: 3, kind: 1, method: 'append', appendRequest: { tableName: 't', sequence: 1 }, arrowPadding, arrow }).finish();
    assert.equal(bytes.byteLength, theirs.byteLength);
  }
});

test('a request for an unknown method is UNKNOWN_METHOD and still names the request id to answer', () => {
  const bytes = Uint8Array.from([...fieldVarint(1, 77), ...fieldVarint(2, 1), ...fieldString(3, 'dropDatabase')]);
  assertProtocolError(() => decodeFrame(bytes), 'UNKNOWN_METHOD', { requestId: 77, method: 'dropDatabase' });
  const reply = Uint8Array.from([...fieldVarint(1, 77), ...fieldVarint(2, 2), ...fieldString(3, 'dropDatabase')]);
  assertProtocolError(() => decodeFrame(reply), 'UNKNOWN_METHOD', { requestId: 77 });
  const push = Uint8Array.from([...fieldVarint(2, 4), ...fieldString(3, 'append')]); // a method is not a push
  assertProtocolError(() => decodeFrame(push), 'UNKNOWN_METHOD', { requestId: 0, method: 'append' });
});

test('a body that is not the method\'s, or the reply body on a request, is BAD_FIELD', () => {
  const other = Uint8Array.from([...fieldVarint(1, 3), ...fieldVarint(2, 1), ...fieldString(3, 'append'), ...fieldBytes(21, [])]);
  assertProtocolError(() => decodeFrame(other), 'BAD_FIELD', { requestId: 3, method: 'append' });
  const replyBody = Uint8Array.from([...fieldVarint(1, 3), ...fieldVarint(2, 1), ...fieldString(3, 'append'), ...fieldBytes(30, [])]);
  assertProtocolError(() => decodeFrame(replyBody), 'BAD_FIELD', { requestId: 3 });
});

test('a frame kind that is unset or unknown is BAD_FIELD', () => {
  for (const kind of [0, 5, 1000]) {
    const bytes = Uint8Array.from([...fieldVarint(1, 3), ...(kind === 0 ? [] : fieldVarint(2, kind)), ...fieldString(3, 'login')]);
    assertProtocolError(() => decodeFrame(bytes), 'BAD_FIELD', { requestId: 3 });
  }
});

test('64-bit values at 2^53 and beyond are BAD_FIELD, 2^53 - 1 and -(2^53 - 1) are exact', () => {
  assertProtocolError(() => decodeFrame(Uint8Array.from([...fieldVarint(1, 2n ** 53n), ...fieldVarint(2, 1), ...fieldString(3, 'listTables')])), 'BAD_FIELD');
  assertProtocolError(() => decodeFrame(Uint8Array.from([...fieldVarint(1, 2n ** 64n - 1n), ...fieldVarint(2, 1), ...fieldString(3, 'listTables')])), 'BAD_FIELD');
  assertProtocolError(
    () => decodeFrame(Uint8Array.from([...fieldVarint(1, 1), ...fieldVarint(2, 2), ...fieldString(3, 'listTables'), ...fieldVarint(6, 2n ** 60n)])),
    'BAD_FIELD',
    { requestId: 1 },
  );
  const body = (offset: bigint): Uint8Array => {
    const ack = [...fieldString(1, 't'), ...fieldVarint(2, offset)];
    return Uint8Array.from([...fieldVarint(1, 1), ...fieldVarint(2, 1), ...fieldString(3, 'ackOffset'), ...fieldBytes(33, ack)]);
  };
  const err = assertProtocolError(() => decodeFrame(body(-(2n ** 53n))), 'BAD_FIELD', { requestId: 1, method: 'ackOffset' });
  assert.match(err.message, /ackOffset request\.offset/);
  assertProtocolError(() => decodeFrame(body(2n ** 53n)), 'BAD_FIELD');
  const ok = decodeFrame(body(-(2n ** 53n - 1n)));
  assert.equal(ok.kind === 'request' && ok.method === 'ackOffset' && ok.body.offset, -(2 ** 53 - 1));
  // Nested and repeated 64-bit fields are checked too.
  const table = [...fieldString(1, 'x'), ...fieldVarint(3, 2n ** 53n)];
  const list = Uint8Array.from([...fieldVarint(1, 1), ...fieldVarint(2, 2), ...fieldString(3, 'listTables'), ...fieldBytes(54, fieldBytes(1, table))]);
  assert.match(assertProtocolError(() => decodeFrame(list), 'BAD_FIELD').message, /listTables reply\.tables\.0\.rows/);
});

test('a frame above maxFrameBytes is FRAME_TOO_LARGE before any decoding', () => {
  const bytes = encodeRequest(1, 'append', { tableName: 't' }, fakeArrow(2000));
  assertProtocolError(() => decodeFrame(bytes, 1000), 'FRAME_TOO_LARGE');
  assert.equal(decodeFrame(bytes, bytes.byteLength).kind, 'request');
  assert.equal(DEFAULT_MAX_FRAME_BYTES, 64 * 1024 * 1024);
});

test('truncated bytes, wrong wire types and invalid UTF-8 are MALFORMED_FRAME', () => {
  const bytes = encodeRequest(1, 'login', { userId: 'admin', password: 'secret' });
  for (let cut = 1; cut < bytes.length; cut++) {
    try {
      decodeFrame(bytes.subarray(0, cut));
    } catch (err) {
      assert.ok(err instanceof ProtocolError, String(err)); // a cut at a field boundary may leave a valid but different frame
    }
  }
  assertProtocolError(() => decodeFrame(bytes.subarray(0, bytes.length - 1)), 'MALFORMED_FRAME');
  assertProtocolError(() => decodeFrame(Uint8Array.from([...fieldVarint(2, 1), 0x1a, 0x02, 0xc3, 0x28])), 'MALFORMED_FRAME'); // method: bad UTF-8
  assertProtocolError(() => decodeFrame(Uint8Array.from([0x0f])), 'MALFORMED_FRAME'); // wire type 7
  assertProtocolError(() => decodeFrame('not bytes' as unknown as Uint8Array), 'MALFORMED_FRAME');
});

test('fields this version does not know are skipped (a newer client still talks to us)', () => {
  const bytes = Uint8Array.from([
    ...encodeRequest(4, 'dropStreamTable', { tableName: 't' }),
    ...fieldVarint(15, 1),
    ...fieldString(99, 'future'),
  ]);
  const f = decodeFrame(bytes);
  assert.deepStrictEqual(f.body, { tableName: 't' });
});

test('a filter value that sets none of its members is BAD_FIELD', () => {
  const sub = [...fieldString(1, 't'), ...fieldString(2, 'a'), ...fieldBytes(4, [])];
  const bytes = Uint8Array.from([...fieldVarint(1, 6), ...fieldVarint(2, 1), ...fieldString(3, 'subscribeTable'), ...fieldBytes(31, sub)]);
  assert.match(assertProtocolError(() => decodeFrame(bytes), 'BAD_FIELD', { requestId: 6 }).message, /filter\[0\]/);
});

test('the encoders refuse what cannot be on the wire: BAD_FIELD or UNKNOWN_METHOD, never a silent garble', () => {
  assertProtocolError(() => encodeRequest(-1, 'listTables', {}), 'BAD_FIELD');
  assertProtocolError(() => encodeRequest(2 ** 53, 'listTables', {}), 'BAD_FIELD');
  assertProtocolError(() => encodeRequest(1.5, 'listTables', {}), 'BAD_FIELD');
  assertProtocolError(() => encodeReply(1, 'listTables', { tables: [] }, -5), 'BAD_FIELD');
  assertProtocolError(() => encodeError(-1, 'x', 'Internal', 'x'), 'BAD_FIELD');
  assertProtocolError(() => encodeRequest(1, 'dropStreamTable', { tableName: 5 } as never), 'BAD_FIELD');
  assertProtocolError(() => encodeRequest(1, 'subscribeTable', { ...SAMPLE_REQUESTS.subscribeTable, filter: [{ stringValue: 'a', boolValue: true }] } as never), 'BAD_FIELD');
  assertProtocolError(() => encodeRequest(1, 'dropDatabase' as Method, {} as never), 'UNKNOWN_METHOD');
  assertProtocolError(() => encodePush('rowz' as 'rows', SAMPLE_PUSHES.rows), 'UNKNOWN_METHOD');
});

test('ProtocolError is a CodedError with the <CODE> message format', () => {
  const err = assertProtocolError(() => decodeFrame(Uint8Array.from([0xff])), 'MALFORMED_FRAME');
  assert.ok(err instanceof CodedError);
  assert.equal(err.name, 'ProtocolError');
  assert.equal(err.requestId, undefined);
  assert.ok(err.cause !== undefined);
});

test('typed narrowing: kind then method gives the body type (compile-time check, runtime sanity)', () => {
  const f = decodeFrame(encodeRequest(1, 'append', { tableName: 'trades', producerId: 'p', sequence: 3 }));
  if (f.kind !== 'request' || f.method !== 'append') assert.fail('expected an append request');
  const sequence: number | undefined = f.body.sequence;
  assert.equal(sequence, 3);
  assert.equal(wire.v1.Kind.KIND_REQUEST, 1);
});
