// Hostile and careless clients against three real data node processes (one Raft group). Proves, on
// the wire: nothing but login and the two leader lookups works before login; a wrong password and an
// unknown user get the same AuthFailed; users.json holds scrypt hashes only, mode 0600; a bad append
// (missing, extra or mistyped column, garbage Arrow, no rows, over a limit) is an error naming the
// column or the limit and appends nothing; an unknown method is answered and the connection lives on;
// /peer refuses Raft frames from anyone without the cluster secret; and thousands of seeded random
// and mutated frames each get the answer the protocol promises, leaving every node up and serving.
// Replay a fuzz failure with SHOAL_FUZZ_SEED=<seed printed by the failure>.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import WebSocket from 'ws';
import { DecodedFrame, Method, RequestOf, decodeFrame, encodeRequest } from '../../broker/protocol/frames.js';
import { encodePeerBatch } from '../../broker/protocol/peer_frames.js';
import { wire } from '../../broker/protocol/wire.js';
import { emptyBatch as emptyPeerBatch } from '../../broker/host/peer_batch.js';
import { MessageType, message as raftMessage } from '../../broker/raft/types.js';
import { PeerCloseCode, clientProof, decodeChallenge, encodeProof } from '../../broker/server/peer_handshake.js';
import { AppendData, encodeAppendBatch } from '../../broker/table/batch.js';
import { ShoalType, TableSchema, arrowSchemaOf, checkSchema } from '../../broker/table/schema.js';
import { connect } from '../../clients/shoal_client.js';
import { ADMIN_PASSWORD, TestCluster, waitFor } from './cluster_harness.js';
import { DEEP_MIX, FUZZ_REQUEST_ID_LIMIT, FrameFuzzer, FuzzMix, SHALLOW_MIX, WS_CLOSE_INVALID_PAYLOAD, WS_CLOSE_UNSUPPORTED_DATA, expectationOf } from './fuzz_frames.js';

const GROUP = 2;
const NO_LIMITS = { maxRows: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER };
/** The node's append limits (broker/node/data_node.ts APPEND_LIMITS); the errors must name them. */
const NODE_MAX_ROWS = 1_000_000;
const NODE_MAX_BYTES = 32 << 20;
const CALL_TIMEOUT_MS = 10_000;

let cluster: TestCluster;
const rawClients: RawClient[] = [];

// ---- a raw WebSocket client: sends any bytes, collects every frame the node sends back ----------

type Answer = DecodedFrame | 'closed';

class RawClient {
  /** Frames received and not yet taken by a waiter (pushes are only counted). */
  private readonly inbox: DecodedFrame[] = [];
  private readonly waiters = new Set<() => void>();
  private nextRequestId = FUZZ_REQUEST_ID_LIMIT; // above every id a fuzz frame carries
  closed: { code: number; reason: string } | undefined;
  pushes = 0;
  /** Hex of node frames that did not decode: the node must only send frames its own decoder reads. */
  readonly undecodable: string[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      try {
        const frame = decodeFrame(new Uint8Array(data));
        if (frame.kind === 'push') this.pushes++;
        else this.inbox.push(frame);
      } catch {
        this.undecodable.push(data.toString('hex').slice(0, 200));
      }
      this.wake();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on('error', () => undefined); // a reset shows up as the close that follows
  }

  static async open(port: number, path = '/client'): Promise<RawClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    const client = new RawClient(ws);
    rawClients.push(client);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no WebSocket to port ${port} within 5 s`)), 5_000);
      ws.once('open', () => { clearTimeout(timer); resolve(); });
      ws.once('close', (code) => { clearTimeout(timer); reject(new Error(`closed (${code}) before it opened`)); });
    });
    return client;
  }

  static async loggedIn(port: number): Promise<RawClient> {
    const c = await RawClient.open(port);
    expectReply(await c.call('login', { userId: 'admin', password: ADMIN_PASSWORD }), 'login');
    return c;
  }

  send(message: Uint8Array | string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(message, { binary: typeof message !== 'string' });
  }

  takeRequestId(): number {
    return this.nextRequestId++;
  }

  /** Sends one request and waits for the reply or error with its id ('closed' if the node closed first). */
  async call<M extends Method>(method: M, body: RequestOf<M>, arrow?: Uint8Array): Promise<Answer> {
    const id = this.takeRequestId();
    this.send(encodeRequest(id, method, body, arrow));
    return this.answerTo(id);
  }

  answerTo(requestId: number, timeoutMs = CALL_TIMEOUT_MS): Promise<Answer> {
    return this.waitFor((f) => (f.kind === 'reply' || f.kind === 'error') && f.requestId === requestId, `an answer to request ${requestId}`, timeoutMs);
  }

  /** The first received frame `match` accepts (removed from the inbox), or 'closed' once the node closed. */
  waitFor(match: (f: DecodedFrame) => boolean, what: string, timeoutMs = CALL_TIMEOUT_MS): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const settle = (): boolean => {
        const i = this.inbox.findIndex(match);
        if (i >= 0) resolve(this.inbox.splice(i, 1)[0]!);
        else if (this.closed) resolve('closed');
        else return false;
        return true;
      };
      if (settle()) return;
      const waiter = (): void => {
        if (!settle()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${what} within ${timeoutMs} ms (and the connection is still open)`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Waits for the node to close the connection; undefined if it is still open after timeoutMs. */
  async closedByNode(timeoutMs: number): Promise<{ code: number; reason: string } | undefined> {
    await this.waitFor(() => false, 'close', timeoutMs).catch(() => undefined);
    return this.closed;
  }

  close(): void {
    if (!this.closed) this.ws.terminate();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

function describe(a: Answer): string {
  if (a === 'closed') return 'the connection closed';
  return a.kind === 'error' ? `ERROR ${a.errorCode}: ${a.errorText}` : `${a.kind} ${a.method} ${JSON.stringify(a.body)}`;
}

function expectError(a: Answer, code: string, what: string): { errorCode: string; errorText: string; requestId: number; method: string } {
  assert.ok(a !== 'closed' && a.kind === 'error' && a.errorCode === code, `${what}: expected ERROR ${code}, got ${describe(a)}`);
  return a;
}

function expectReply<M extends Method>(a: Answer, method: M): Extract<DecodedFrame, { kind: 'reply'; method: M }> {
  assert.ok(a !== 'closed' && a.kind === 'reply' && a.method === method, `expected the ${method} reply, got ${describe(a)}`);
  return a as Extract<DecodedFrame, { kind: 'reply'; method: M }>;
}

// ---- cluster helpers ----------------------------------------------------------------------------

/** The index of the node leading GROUP, asked over raw connections before login. */
async function leaderIndex(): Promise<number> {
  return waitFor(`a leader of group ${GROUP}`, async () => {
    for (const n of cluster.nodes) {
      if (!n.child) continue;
      const c = await RawClient.open(n.port);
      try {
        const a = await c.call('getStreamingLeader', { groupId: GROUP });
        const leader = a !== 'closed' && a.kind === 'reply' && a.method === 'getStreamingLeader' ? a.body.leader : '';
        const i = cluster.nodes.findIndex((m) => leader === `127.0.0.1:${m.port}:${m.alias}`);
        if (i >= 0) return i;
      } finally {
        c.close();
      }
    }
    return undefined;
  });
}

function wireColumns(schema: TableSchema): Array<{ name: string; type: string; scale: number }> {
  return schema.columns.map((c) => ({ name: c.name, type: c.type, scale: c.scale ?? 0 }));
}

function schemaOf(...columns: Array<[string, ShoalType]>): TableSchema {
  return { columns: columns.map(([name, type]) => ({ name, type })) };
}

async function createTable(c: RawClient, tableName: string, schema: TableSchema): Promise<void> {
  expectReply(await c.call('haStreamTable', {
    raftGroup: GROUP, tableName, schema: wireColumns(schema), cacheLimit: 1000, keyColumns: [], retentionMinutes: 0, filterColumn: '',
  }), 'haStreamTable');
}

async function nextOffsetOf(c: RawClient, tableName: string): Promise<number> {
  return expectReply(await c.call('getPersistenceMeta', { tableName }), 'getPersistenceMeta').body.nextOffset;
}

before(async () => {
  cluster = await TestCluster.create({ dataNodes: 3, groups: [{ id: GROUP }] });
  await cluster.startAll();
}, { timeout: 30_000 });

after(async () => {
  for (const c of rawClients) c.close();
  await cluster?.destroy();
});

// ---- 1. login -----------------------------------------------------------------------------------

test('before login: writes, creates and subscriptions get AuthRequired, the leader lookup works; bad credentials get one AuthFailed', { timeout: 20_000 }, async () => {
  const leader = cluster.nodes[await leaderIndex()]!;
  const schema = schemaOf(['id', 'STRING'], ['qty', 'INT']);
  const rows = encodeAppendBatch(schema, { id: ['a', 'b'], qty: [1, 2] }, NO_LIMITS);
  const create = { raftGroup: GROUP, tableName: 'auth_t', schema: wireColumns(schema), cacheLimit: 100, keyColumns: [], retentionMinutes: 0, filterColumn: '' };
  const subscribe = { tableName: 'auth_t', actionName: 'a1', offset: 0, filter: [], persistOffset: false, batchSize: 0 };
  const c = await RawClient.open(leader.port);

  const refusedCalls = async (when: string): Promise<void> => {
    for (const a of [await c.call('append', { tableName: 'auth_t' }, rows), await c.call('haStreamTable', create), await c.call('subscribeTable', subscribe)]) {
      const e = expectError(a, 'AuthRequired', when);
      assert.match(e.errorText, /log in|login/, 'the text says what to do');
    }
  };
  await refusedCalls('before login');
  const lookup = expectReply(await c.call('getStreamingLeader', { groupId: GROUP }), 'getStreamingLeader');
  assert.equal(lookup.body.leader, `127.0.0.1:${leader.port}:${leader.alias}`);
  expectReply(await c.call('getStreamingRaftGroups', {}), 'getStreamingRaftGroups');

  const wrongPassword = expectError(await c.call('login', { userId: 'admin', password: `${ADMIN_PASSWORD}x` }), 'AuthFailed', 'wrong password');
  const unknownUser = expectError(await c.call('login', { userId: 'mallory', password: ADMIN_PASSWORD }), 'AuthFailed', 'unknown user');
  const emptyPassword = expectError(await c.call('login', { userId: 'admin', password: '' }), 'AuthFailed', 'empty password');
  assert.equal(wrongPassword.errorText, unknownUser.errorText, 'a client cannot tell an unknown user from a wrong password');
  assert.equal(emptyPassword.errorText, unknownUser.errorText);
  assert.ok(!wrongPassword.errorText.includes(ADMIN_PASSWORD), 'the error does not echo a password');
  await refusedCalls('after failed logins');

  expectReply(await c.call('login', { userId: 'admin', password: ADMIN_PASSWORD }), 'login');
  expectReply(await c.call('haStreamTable', create), 'haStreamTable');
  assert.equal(expectReply(await c.call('append', { tableName: 'auth_t' }, rows), 'append').body.rowsWritten, 2);
  expectReply(await c.call('subscribeTable', subscribe), 'subscribeTable');
  c.close();
});

// ---- 2. users.json --------------------------------------------------------------------------------

test('users.json on every node holds a scrypt hash, never the password, and is readable by its owner only', () => {
  for (const n of cluster.nodes) {
    const path = join(cluster.home, n.alias, 'users.json');
    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes(ADMIN_PASSWORD), `${path} must not hold the plaintext password`);
    assert.ok(text.includes('scrypt$'), `${path} holds scrypt hashes: ${text}`);
    const users = (JSON.parse(text) as { users: Record<string, { passwordHash: string }> }).users;
    assert.match(users['admin']!.passwordHash, /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.equal(statSync(path).mode & 0o777, 0o600, `${path} mode`);
    // A configured admin password is never printed back (only a generated one is, once).
    assert.ok(!n.output.includes(ADMIN_PASSWORD), `${n.alias} printed the admin password`);
    assert.ok(!readFileSync(join(cluster.home, `${n.alias}.log`), 'utf8').includes(ADMIN_PASSWORD), `${n.alias}.log holds the admin password`);
  }
});

// ---- 3. bad appends ------------------------------------------------------------------------------

test('bad appends on the leader: each error names the column or the limit, and nothing is appended', { timeout: 30_000 }, async () => {
  const leader = cluster.nodes[await leaderIndex()]!;
  const c = await RawClient.loggedIn(leader.port);
  const schema = schemaOf(['id', 'STRING'], ['sym', 'SYMBOL'], ['price', 'DOUBLE'], ['qty', 'INT']);
  await createTable(c, 'bad_t', schema);
  const good = { id: ['a'], sym: ['AAPL'], price: [1.5], qty: [7] };
  assert.equal(expectReply(await c.call('append', { tableName: 'bad_t' }, encodeAppendBatch(schema, good, NO_LIMITS)), 'append').body.rowsWritten, 1);
  const before = await nextOffsetOf(c, 'bad_t');
  assert.equal(before, 1);

  /** A batch built for another schema: what a client with a stale or wrong schema sends. */
  const batchFor = (columns: Array<[string, ShoalType]>, data: AppendData): Uint8Array => encodeAppendBatch(schemaOf(...columns), data, NO_LIMITS);
  const valid = encodeAppendBatch(schema, good, NO_LIMITS);
  const cases: Array<{ what: string; arrow: Uint8Array | undefined; code: string; text: RegExp }> = [
    { what: 'a missing column', arrow: batchFor([['id', 'STRING'], ['sym', 'SYMBOL'], ['price', 'DOUBLE']], { id: ['b'], sym: ['X'], price: [2] }), code: 'SchemaMismatch', text: /"qty".*missing/ },
    { what: 'an extra column', arrow: batchFor([['id', 'STRING'], ['sym', 'SYMBOL'], ['price', 'DOUBLE'], ['qty', 'INT'], ['venue', 'STRING']], { ...good, venue: ['N'] }), code: 'SchemaMismatch', text: /"venue".*not in the table/ },
    { what: 'a column of the wrong type', arrow: batchFor([['id', 'STRING'], ['sym', 'SYMBOL'], ['price', 'INT'], ['qty', 'INT']], { ...good, price: [2] }), code: 'SchemaMismatch', text: /"price".*DOUBLE/ },
    { what: 'a string where an INT goes', arrow: batchFor([['id', 'STRING'], ['sym', 'SYMBOL'], ['price', 'DOUBLE'], ['qty', 'STRING']], { ...good, qty: ['7'] }), code: 'SchemaMismatch', text: /"qty".*INT/ },
    { what: 'a batch of another table entirely', arrow: batchFor([['ts', 'TIMESTAMP']], { ts: [1_700_000_000_000] }), code: 'SchemaMismatch', text: /"ts"/ },
    { what: 'garbage Arrow bytes', arrow: Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 17) & 0xff), code: 'SchemaMismatch', text: /Arrow/ },
    { what: 'a truncated batch', arrow: valid.subarray(0, valid.byteLength - 40), code: 'SchemaMismatch', text: /Arrow|bytes|buffer|body/i },
    { what: 'an empty batch', arrow: emptyBatch(schema), code: 'SchemaMismatch', text: /no rows/ },
    { what: 'no Arrow bytes at all', arrow: undefined, code: 'BadRequest', text: /no rows/ },
    {
      what: `more than ${NODE_MAX_ROWS} rows`, code: 'BatchTooLarge', text: new RegExp(`${NODE_MAX_ROWS + 1} rows.*maxRows = ${NODE_MAX_ROWS}`),
      arrow: encodeAppendBatch(schema, { id: new Array<string>(NODE_MAX_ROWS + 1).fill(''), sym: new Array<string>(NODE_MAX_ROWS + 1).fill(''), price: new Float64Array(NODE_MAX_ROWS + 1), qty: new Int32Array(NODE_MAX_ROWS + 1) }, NO_LIMITS),
    },
    { what: `more than ${NODE_MAX_BYTES} bytes`, arrow: encodeAppendBatch(schema, { ...good, id: ['x'.repeat(NODE_MAX_BYTES)] }, NO_LIMITS), code: 'BatchTooLarge', text: new RegExp(`maxBytes = ${NODE_MAX_BYTES}`) },
  ];
  for (const k of cases) {
    const e = expectError(await c.call('append', { tableName: 'bad_t' }, k.arrow), k.code, k.what);
    assert.match(e.errorText, k.text, `${k.what}: the message says what is wrong`);
    assert.equal(e.method, 'append');
    assert.equal(await nextOffsetOf(c, 'bad_t'), before, `${k.what}: nothing is appended`);
  }
  expectError(await c.call('append', { tableName: 'no_such_table' }, valid), 'UnknownTable', 'an unknown table');

  // The positive space: the table still takes a good batch, which lands right after the first row.
  const ok = expectReply(await c.call('append', { tableName: 'bad_t' }, valid), 'append');
  assert.deepEqual(ok.body, { firstOffset: before, rowsWritten: 1, rowsDropped: 0, repeated: false });
  assert.equal(await nextOffsetOf(c, 'bad_t'), before + 1);

  // Exactly-once stamps: malformed ones are refused and change nothing ...
  const stamps = [
    { what: 'a sequence without producer_id', body: { tableName: 'bad_t', sequence: 3 }, text: /no producer_id/ },
    { what: 'a producer_id without sequence', body: { tableName: 'bad_t', producerId: 'p' }, text: /needs a sequence >= 1/ },
    { what: 'a producer_id over 64 bytes', body: { tableName: 'bad_t', producerId: 'p'.repeat(65), sequence: 1 }, text: /at most 64/ },
  ];
  for (const k of stamps) {
    const e = expectError(await c.call('append', k.body, valid), 'BadRequest', k.what);
    assert.match(e.errorText, k.text, k.what);
  }
  assert.equal(await nextOffsetOf(c, 'bad_t'), before + 1, 'bad stamps append nothing');
  // ... a repeated stamp answers the original offsets and writes nothing; one below the window is refused.
  const stamped = { tableName: 'bad_t', producerId: 'producer-under-test', sequence: 2000 };
  const original = expectReply(await c.call('append', stamped, valid), 'append').body;
  assert.deepEqual(original, { firstOffset: before + 1, rowsWritten: 1, rowsDropped: 0, repeated: false });
  assert.deepEqual(expectReply(await c.call('append', stamped, valid), 'append').body, { ...original, repeated: true });
  const tooOld = expectError(await c.call('append', { ...stamped, sequence: 2000 - 1024 }, valid), 'SequenceTooOld', 'a sequence below the window');
  assert.match(tooOld.errorText, /below its window/);
  assert.equal(await nextOffsetOf(c, 'bad_t'), before + 2, 'one stamped row, once');
  c.close();
});

/** A record batch of zero rows in `schema` (encodeAppendBatch refuses to make one). */
function emptyBatch(schema: TableSchema): Uint8Array {
  const arrowSchema = arrowSchemaOf(checkSchema(schema));
  const children = arrowSchema.fields.map((f) => arrow.vectorFromArray([], f.type).data[0]!);
  const struct = arrow.makeData({ type: new arrow.Struct(arrowSchema.fields), length: 0, nullCount: 0, children });
  return arrow.tableToIPC(new arrow.Table([new arrow.RecordBatch(arrowSchema, struct)]), 'stream');
}

// ---- 5. unknown methods --------------------------------------------------------------------------

/** A well-formed request frame for `method`, which encodeRequest would refuse to build. */
function unknownMethodFrame(requestId: number, method: string): Uint8Array {
  return wire.v1.Frame.encode({ requestId, kind: wire.v1.Kind.KIND_REQUEST, method }).finish();
}

test('an unknown method gets UnknownMethod naming it, and the connection stays usable', { timeout: 15_000 }, async () => {
  const c = await RawClient.loggedIn(cluster.nodes[0]!.port);
  for (const method of ['frobnicate', '__proto__', 'constructor', 'Append']) {
    c.send(unknownMethodFrame(c.takeRequestId(), method));
    const e = expectError(await c.waitFor((f) => f.kind === 'error' && f.errorCode === 'UnknownMethod', 'UnknownMethod'), 'UnknownMethod', method);
    assert.ok(e.errorText.includes(JSON.stringify(method)), `the text names ${method}: ${e.errorText}`);
    expectReply(await c.call('listTables', {}), 'listTables');
  }
  assert.equal(c.closed, undefined);
  c.close();
});

test('an unknown method is answered with the request id and method it came with', {
  timeout: 15_000,
}, async () => {
  const c = await RawClient.loggedIn(cluster.nodes[0]!.port);
  const id = c.takeRequestId();
  c.send(unknownMethodFrame(id, 'frobnicate'));
  const e = expectError(await c.waitFor((f) => f.kind === 'error', 'an error'), 'UnknownMethod', 'frobnicate');
  try {
    assert.equal(e.requestId, id, 'request_id echoed');
    assert.equal(e.method, 'frobnicate', 'method echoed');
  } finally {
    c.close();
  }
});

test('a request whose request id is readable but whose body is wrong gets BadRequest and keeps the connection', {
  timeout: 15_000,
}, async () => {
  const c = await RawClient.loggedIn(cluster.nodes[0]!.port);
  const id = c.takeRequestId();
  // An append request carrying a login body: the envelope decodes, the body is not the method's (BAD_FIELD).
  c.send(wire.v1.Frame.encode({ requestId: id, kind: wire.v1.Kind.KIND_REQUEST, method: 'append', loginRequest: { userId: 'admin', password: 'x' } }).finish());
  const a = await c.answerTo(id, 5_000);
  try {
    expectError(a, 'BadRequest', 'an append carrying a login body');
    expectReply(await c.call('listTables', {}), 'listTables');
  } finally {
    c.close();
  }
});

// ---- peers: the /peer path wants the cluster secret before it reads a Raft frame ------------------

test('/peer: a forged Raft frame without the handshake, and a proof made with the wrong secret, are refused; the group keeps its leader and term', { timeout: 15_000 }, async () => {
  const l = await leaderIndex();
  const probe = await RawClient.open(cluster.nodes[l]!.port);
  const termBefore = expectReply(await probe.call('getStreamingLeader', { groupId: GROUP }), 'getStreamingLeader').body;
  const target = cluster.nodes[(l + 1) % 3]!;

  // A vote request with a huge term: were it delivered, the group would depose its leader.
  const forged = emptyPeerBatch(l + 1, ((l + 1) % 3) + 1);
  forged.messages.push({ group: GROUP, message: raftMessage({ type: MessageType.Vote, term: termBefore.term + 1000, index: 1_000_000, logTerm: termBefore.term + 999 }) });
  const asFirstFrame = await PeerSocket.open(target.port);
  asFirstFrame.ws.send(encodePeerBatch(forged));
  assert.equal(await asFirstFrame.closeCode(), PeerCloseCode.MALFORMED, 'a Raft frame where the proof belongs');

  const wrongSecret = await PeerSocket.open(target.port);
  const challenge = decodeChallenge(await wrongSecret.firstMessage)!;
  assert.ok(challenge, 'the node challenges every /peer connection');
  const claimedId = l + 1; // pretend to be the leader, a real member
  wrongSecret.ws.send(encodeProof({ clientNodeId: claimedId, proof: clientProof('not-the-cluster-secret', challenge.nonce, claimedId, challenge.serverNodeId), clientNonce: new Uint8Array(32) }));
  wrongSecret.ws.send(encodePeerBatch(forged)); // in case the node read on after the proof
  assert.equal(await wrongSecret.closeCode(), PeerCloseCode.AUTH_FAILED, 'a proof made with another secret');

  const termAfter = expectReply(await probe.call('getStreamingLeader', { groupId: GROUP }), 'getStreamingLeader').body;
  assert.deepEqual(termAfter, termBefore, 'no forged vote reached Raft');
  probe.close();
});

/** A bare WebSocket on /peer that remembers the first message and the close code. */
class PeerSocket {
  readonly firstMessage: Promise<Uint8Array>;
  private readonly closed: Promise<number>;
  private constructor(readonly ws: WebSocket) {
    this.firstMessage = new Promise((resolve) => ws.once('message', (d: Buffer) => resolve(new Uint8Array(d))));
    this.closed = new Promise((resolve) => ws.once('close', (code: number) => resolve(code)));
    ws.on('error', () => undefined);
  }

  static async open(port: number): Promise<PeerSocket> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/peer`);
    const s = new PeerSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('close', (code) => reject(new Error(`/peer closed (${code}) before it opened`)));
    });
    return s;
  }

  async closeCode(timeoutMs = 5_000): Promise<number | 'still open'> {
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([this.closed, new Promise<'still open'>((resolve) => { timer = setTimeout(() => resolve('still open'), timeoutMs); })]);
    clearTimeout(timer);
    if (code === 'still open') this.ws.terminate();
    return code;
  }
}

// ---- 4. fuzz -------------------------------------------------------------------------------------

const FUZZ_SEED = process.env['SHOAL_FUZZ_SEED'] !== undefined ? Number(process.env['SHOAL_FUZZ_SEED']) : Math.floor(Math.random() * 2 ** 31);
const FUZZ_BUDGET_MS = 30_000;

interface FuzzWorker { node: number; login: boolean; mix: FuzzMix; frames: number }

interface FuzzReport {
  sent: number;
  outcomes: Map<string, number>;
  violations: string[];
}

function count(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

/** Sends one worker's frames, each followed by a probe, and checks every answer against expectationOf. */
async function runWorker(w: FuzzWorker, seed: number, fuzzer: FrameFuzzer, report: FuzzReport, deadline: number): Promise<void> {
  const port = cluster.nodes[w.node]!.port;
  const node = cluster.nodes[w.node]!;
  const open = (): Promise<RawClient> => (w.login ? RawClient.loggedIn(port) : RawClient.open(port)).catch((err: unknown) => {
    throw new Error(`worker seed ${seed}: cannot reconnect to ${node.alias} (${String(err)}); its output ends:\n${node.output.slice(-3000)}`);
  });
  let c = await open();
  const violation = (i: number, message: Uint8Array | string, what: string): void => {
    const bytes = typeof message === 'string' ? `text ${JSON.stringify(message)}` : Buffer.from(message).toString('hex').slice(0, 400);
    report.violations.push(`worker seed ${seed} (node ${node.alias}) case ${i}: ${what}; sent ${bytes}`);
  };
  for (let i = 0; i < w.frames && Date.now() < deadline; i++) {
    const { kind, message } = fuzzer.next();
    const expected = expectationOf(message);
    c.send(message);
    report.sent++;
    const probeId = c.takeRequestId();
    c.send(encodeRequest(probeId, 'getStreamingLeader', { groupId: GROUP })); // answered only if the node kept reading
    try {
      if (expected.answer === 'close') {
        const closed = await c.closedByNode(CALL_TIMEOUT_MS);
        count(report.outcomes, `close:${closed?.code ?? 'none'}`);
        if (closed?.code !== expected.code) violation(i, message, `${kind}: expected close ${expected.code}, got ${closed ? `close ${closed.code}` : 'an open connection'}`);
      } else {
        const a = expected.answer === 'UnknownMethod'
          ? await c.waitFor((f) => f.kind === 'error' && f.errorCode === 'UnknownMethod', 'UnknownMethod')
          : await c.answerTo(expected.requestId);
        count(report.outcomes, a === 'closed' ? `close:${c.closed!.code}` : `${a.kind}:${a.kind === 'error' ? a.errorCode : a.method}`);
        if (a === 'closed') violation(i, message, `${kind}: expected ${expected.answer}, but the node closed (${c.closed!.code} ${c.closed!.reason})`);
        else if (a.kind === 'error' && a.errorCode === 'Internal') violation(i, message, `${kind}: Internal error ${a.errorText}`);
        else if (expected.answer === 'reply-or-error' && a.method !== expected.method) violation(i, message, `${kind}: answer names method ${a.method}, not ${expected.method}`);
        const probe = a === 'closed' ? a : await c.answerTo(probeId);
        if (a !== 'closed' && (probe === 'closed' || probe.kind !== 'reply')) violation(i, message, `${kind}: the probe after it got ${describe(probe)}`);
      }
    } catch (err) {
      violation(i, message, `${kind}: ${String(err)}`); // a hang: no answer and no close
      c.close();
    }
    if (c.undecodable.length > 0) violation(i, message, `${kind}: the node sent a frame its own decoder refuses: ${c.undecodable.splice(0).join(', ')}`);
    if (c.closed) {
      c.close();
      c = await open();
    }
  }
  c.close();
}

test(`fuzz: thousands of random and mutated frames leave every node up and serving (seed ${FUZZ_SEED})`, { timeout: FUZZ_BUDGET_MS + 20_000 }, async (t) => {
  t.diagnostic(`SHOAL_FUZZ_SEED=${FUZZ_SEED}`);
  const l = await leaderIndex();
  const followers = [0, 1, 2].filter((i) => i !== l);
  const setup = await RawClient.loggedIn(cluster.nodes[l]!.port);
  const schema = schemaOf(['id', 'STRING'], ['v', 'DOUBLE'], ['n', 'INT']);
  await createTable(setup, 'fz', schema);
  setup.close();
  const arrowBatches = [
    // 64 rows: most of the bytes are column values, where a flipped byte still makes a valid batch.
    encodeAppendBatch(schema, { id: Array.from({ length: 64 }, (_, i) => `r${i}`), v: Float64Array.from({ length: 64 }, (_, i) => i / 3), n: Int32Array.from({ length: 64 }, (_, i) => i) }, NO_LIMITS),
    encodeAppendBatch(schema, { id: [null, 'x'], v: [null, 0.5], n: [null, -1] }, NO_LIMITS),
    encodeAppendBatch(schemaOf(['id', 'INT'], ['v', 'DOUBLE']), { id: [1], v: [2] }, NO_LIMITS),
  ];
  const targets = { group: GROUP, table: 'fz', topic: `shoal_${GROUP}/fz/fz_sub`, arrowBatches };
  const workers: FuzzWorker[] = [
    { node: l, login: true, mix: DEEP_MIX, frames: 900 },
    { node: l, login: false, mix: SHALLOW_MIX, frames: 900 },
    { node: followers[0]!, login: true, mix: DEEP_MIX, frames: 700 },
    { node: followers[1]!, login: false, mix: SHALLOW_MIX, frames: 700 },
  ];
  const report: FuzzReport = { sent: 0, outcomes: new Map(), violations: [] };
  const deadline = Date.now() + FUZZ_BUDGET_MS;
  await Promise.all(workers.map((w, i) => runWorker(w, FUZZ_SEED + i, new FrameFuzzer(FUZZ_SEED + i, targets, w.mix), report, deadline)));
  const summary = [...report.outcomes].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(' ');
  t.diagnostic(`${report.sent} frames: ${summary}`);
  const replay = `(replay: SHOAL_FUZZ_SEED=${FUZZ_SEED})`;

  assert.deepEqual(report.violations.slice(0, 20), [], `${report.violations.length} wrong answers ${replay}`);
  assert.ok(report.sent >= 3000, `only ${report.sent} frames went out within ${FUZZ_BUDGET_MS} ms ${replay}`);
  // Coverage marks: the mix reached the decoder's refusals, the text-frame rule, the method check,
  // the login rule, the Arrow checks, and appends that got through.
  for (const mark of [`close:${WS_CLOSE_INVALID_PAYLOAD}`, `close:${WS_CLOSE_UNSUPPORTED_DATA}`, 'error:UnknownMethod', 'error:AuthRequired', 'error:SchemaMismatch', 'error:BadRequest', 'error:NotLeader', 'reply:append']) {
    assert.ok((report.outcomes.get(mark) ?? 0) > 0, `the fuzz never reached ${mark} ${replay}: ${summary}`);
  }

  for (const n of cluster.nodes) {
    assert.ok(n.child && n.child.exitCode === null && n.child.signalCode === null, `${n.alias} is still running ${replay}:\n${n.output}`);
    const health = await fetch(`http://127.0.0.1:${n.port}/health`);
    assert.equal(health.status, 200, `${n.alias} /health ${replay}`);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
  }
  const client = await connect({ host: '127.0.0.1', port: cluster.nodes[await leaderIndex()]!.port, userId: 'admin', password: ADMIN_PASSWORD, requestTimeoutMs: CALL_TIMEOUT_MS });
  try {
    const afterSchema = [{ name: 'id', type: 'STRING' }, { name: 'qty', type: 'INT' }];
    await client.haStreamTable(GROUP, afterSchema, 'after_fuzz', 1000);
    assert.deepEqual(await client.append('after_fuzz', { id: ['p', 'q', 'r'], qty: [1, 2, 3] }), { firstOffset: 0, rowsWritten: 3, rowsDropped: 0, repeated: false });
    const read = await client.readTable('after_fuzz', 0, 10);
    assert.deepEqual(read.rows.map((r) => [r['id'], r['qty']]), [['p', 1], ['q', 2], ['r', 3]]);
    // Every mutated batch the node accepted into fz reads back, and the followers hold as many rows.
    const fz = await client.getPersistenceMeta('fz');
    const fzRows = await client.readTable('fz', 0, fz.nextOffset + 1);
    assert.equal(fzRows.rows.length, fz.nextOffset, `fz reads back whole ${replay}`);
    for (const f of followers) {
      const rc = await RawClient.loggedIn(cluster.nodes[f]!.port);
      await waitFor(`${cluster.nodes[f]!.alias} to hold the ${fz.nextOffset} rows of fz`, async () => ((await nextOffsetOf(rc, 'fz')) === fz.nextOffset ? true : undefined), 10_000);
      rc.close();
    }
  } finally {
    await client.close();
  }
});
