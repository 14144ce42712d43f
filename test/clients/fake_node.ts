// A fake data node for client tests: a `ws` server on 127.0.0.1 (a free port) at /client that
// speaks the real protocol (broker/protocol frames) with canned answers a test can replace per method.
// It records every request it gets, so a test can check what the client sent. For failover tests it
// can be closed and started again on the same port, and frozen (it stops reading its sockets: no
// pongs, no answers -- a SIGSTOPped node as a client sees it).

import { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { RequestFrame, decodeFrame, encodeError, encodePush, encodeReply } from '../../broker/protocol/frames.js';
import { Method } from '../../broker/protocol/methods.js';
import { encodeAppendBatch } from '../../broker/table/batch.js';
import { TableSchema, checkSchema, typeLabel } from '../../broker/table/schema.js';

export const TEST_SCHEMA: TableSchema = checkSchema({
  columns: [{ name: 'id', type: 'INT' }, { name: 'sym', type: 'SYMBOL' }, { name: 'px', type: 'DOUBLE' }],
});

const LIMITS = { maxRows: 1_000_000, maxBytes: 64 << 20 };

/** Arrow IPC rows of TEST_SCHEMA with ids `ids` (sym cycles A, B; px = id / 2). */
export function testRows(ids: number[]): Uint8Array {
  return encodeAppendBatch(TEST_SCHEMA, { id: ids, sym: ids.map((i) => (i % 2 === 0 ? 'A' : 'B')), px: ids.map((i) => i / 2) }, LIMITS);
}

export type Answer =
  | { body: unknown; arrow?: Uint8Array; dataVersion?: number }
  | { error: string; text: string }
  | 'no-reply';

export type FakeHandler = (frame: RequestFrame, conn: FakeConnection) => Answer | Promise<Answer>;

export class FakeConnection {
  constructor(
    readonly id: number,
    readonly socket: WebSocket,
  ) {}

  send(bytes: Uint8Array | string): void {
    this.socket.send(bytes);
  }

  /** A rows push of TEST_SCHEMA rows whose ids equal their offsets (or the listed offsets). */
  pushRows(topic: string, firstOffset: number, ids: number[], extra: { offsets?: number[]; nextOffset?: number } = {}): void {
    const body = { topic, firstOffset, rowCount: ids.length, offsets: extra.offsets ?? [], nextOffset: extra.nextOffset ?? firstOffset + ids.length };
    this.send(encodePush('rows', body, testRows(ids)));
  }

  /** Rows first..first+count-1, each with id = offset. */
  pushRange(topic: string, first: number, count: number): void {
    this.pushRows(topic, first, Array.from({ length: count }, (_, i) => first + i));
  }

  pushClosed(topic: string, reason: string, newLeader: string): void {
    this.send(encodePush('subscriptionClosed', { topic, reason, newLeader }));
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }
}

export interface Received {
  conn: FakeConnection;
  frame: RequestFrame;
}

export class FakeNode {
  readonly received: Received[] = [];
  /** Frames from the client that were not requests or did not decode; a test asserts it stays empty. */
  readonly problems: string[] = [];
  readonly connections: FakeConnection[] = [];
  /** Per-method answers; the defaults below cover login, metadata and subscribing. */
  readonly handlers = new Map<Method, FakeHandler>();
  readonly tables = new Map<string, TableSchema>([['trades', TEST_SCHEMA]]);
  /** The sites a subscribeTable reply lists; [this.site] when empty. */
  sites: string[] = [];
  /** The next offset of every table, for subscribeTable with offset -1. */
  nextOffset = 0;
  readonly site: string;

  private constructor(
    private readonly server: WebSocketServer,
    readonly port: number,
    readonly alias: string,
    private readonly gate: { refusing: boolean; refused: number },
  ) {
    this.site = `127.0.0.1:${port}:${alias}`;
    server.on('connection', (socket) => this.accept(socket));
    this.installDefaults();
  }

  /** Listens on `port` (0: a free one); start(alias, old.port) brings a closed node back. */
  static start(alias = 'fake1', port = 0): Promise<FakeNode> {
    return new Promise((resolve, reject) => {
      const gate = { refusing: false, refused: 0 };
      const verifyClient = (_info: unknown, done: (ok: boolean, code?: number) => void): void => {
        if (gate.refusing) gate.refused++;
        done(!gate.refusing, 503);
      };
      const server = new WebSocketServer({ host: '127.0.0.1', port, path: '/client', perMessageDeflate: false, verifyClient });
      server.once('error', reject);
      server.once('listening', () => resolve(new FakeNode(server, (server.address() as AddressInfo).port, alias, gate)));
    });
  }

  topicOf(table: string, action: string): string {
    return `fake_2/${table}/${action}`;
  }

  requestsOf<M extends Method>(method: M): Array<Extract<RequestFrame, { method: M }>> {
    return this.received.filter((r) => r.frame.method === method).map((r) => r.frame as Extract<RequestFrame, { method: M }>);
  }

  /** The connection a subscribeTable request for `action` came on (the latest one). */
  subscriberConn(action: string): FakeConnection | undefined {
    const found = this.received.filter((r) => r.frame.method === 'subscribeTable' && (r.frame.body as { actionName: string }).actionName === action);
    return found[found.length - 1]?.conn;
  }

  /** Stops reading every socket, and pauses new ones as they come: nothing is answered, not even pings. */
  freeze(): void {
    this.frozen = true;
    for (const c of this.connections) c.socket.pause();
  }

  /** While true, new WebSocket connections are refused (HTTP 503): a node that is up but not serving. */
  get refusing(): boolean {
    return this.gate.refusing;
  }

  set refusing(on: boolean) {
    this.gate.refusing = on;
  }

  /** Connections refused while `refusing`. */
  get refused(): number {
    return this.gate.refused;
  }

  /** Pings the client's connections have sent here (each answered with a pong unless frozen). */
  pings = 0;
  private frozen = false;

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    const conn = new FakeConnection(this.connections.length + 1, socket);
    this.connections.push(conn);
    if (this.frozen) socket.pause();
    socket.on('error', () => {});
    socket.on('ping', () => this.pings++);
    socket.on('message', (data) => {
      let frame;
      try {
        frame = decodeFrame(new Uint8Array(data as Buffer));
      } catch (err) {
        this.problems.push(String(err));
        return;
      }
      if (frame.kind !== 'request') {
        this.problems.push(`the client sent a ${frame.kind} frame`);
        return;
      }
      this.received.push({ conn, frame });
      void this.answer(conn, frame);
    });
  }

  private async answer(conn: FakeConnection, frame: RequestFrame): Promise<void> {
    const handler = this.handlers.get(frame.method);
    const answer: Answer = handler === undefined ? { body: {} } : await handler(frame, conn);
    if (answer === 'no-reply' || !conn.open) return;
    if ('error' in answer) conn.send(encodeError(frame.requestId, frame.method, answer.error, answer.text));
    else conn.send(encodeReply(frame.requestId, frame.method, answer.body as never, answer.dataVersion ?? 0, answer.arrow));
  }

  private installDefaults(): void {
    this.handlers.set('login', (f) =>
      f.method === 'login' && f.body.password === 'secret' ? { body: {} } : { error: 'AuthFailed', text: 'wrong user id or password' });
    this.handlers.set('getPersistenceMeta', (f) => {
      const name = (f.body as { tableName: string }).tableName;
      const schema = this.tables.get(name);
      if (schema === undefined) return { error: 'UnknownTable', text: `no stream table ${name} on this node` };
      return {
        body: {
          raftGroup: 2, firstOffset: 0, nextOffset: this.nextOffset, cacheLimit: 1000, cachedRows: 0, retentionMinutes: 1440,
          keyColumns: [], schema: schema.columns.map((c) => ({ name: c.name, type: typeLabel(c), scale: c.scale ?? 0 })), lsn: 7,
        },
      };
    });
    this.handlers.set('subscribeTable', (f) => {
      if (f.method !== 'subscribeTable') throw new Error('unreachable');
      const offset = f.body.offset ?? -1;
      return {
        body: {
          topic: this.topicOf(f.body.tableName, f.body.actionName),
          startOffset: offset >= 0 ? offset : this.nextOffset,
          sites: this.sites.length > 0 ? this.sites : [this.site],
          leader: this.site,
        },
      };
    });
  }
}
