// One client connection: login first, then requests decoded from protobuf frames and answered by
// the stream service. Anything a client sends that is wrong gets an ERROR frame (or, for bytes that
// are not a frame at all, a closed connection); nothing it sends can take the node down.

import { METHODS_BEFORE_LOGIN } from '../protocol/methods.js';
import { DecodedFrame, ProtocolError, RequestFrame, decodeFrame, encodeError, encodePush, encodeReply } from '../protocol/frames.js';
import { ClientConnection } from '../server/node_server.js';
import { CodedError } from '../../storage/state/errors.js';
import { ServiceError } from './service_error.js';
import { StreamService } from './stream_service.js';
import { PushResult, RowsPush, SubscriberSink, SubscriptionHub } from './subscription_hub.js';

export interface Authenticator {
  /** Resolves when the password is right; rejects (AuthFailed) otherwise. */
  authenticate(userId: string, password: string): Promise<void>;
}

export interface SessionStats {
  requests: number;
  errorsByCode: Map<string, number>;
  malformedFrames: number;
}

const MALFORMED_CLOSE = 1007; // invalid frame payload data

export class ClientSession implements SubscriberSink {
  private userId: string | undefined;
  private drainWaiters: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly conn: ClientConnection,
    private readonly service: StreamService,
    private readonly hub: SubscriptionHub,
    private readonly auth: Authenticator,
    private readonly stats: SessionStats,
    private readonly extraStat: () => Record<string, unknown>,
    /** Stop pushing rows to a client above this many buffered bytes. */
    private readonly maxBufferedBytes: number,
  ) {}

  onMessage(bytes: Uint8Array): void {
    let frame: DecodedFrame;
    try {
      frame = decodeFrame(bytes);
    } catch (err) {
      this.stats.malformedFrames++;
      // A frame whose request id could still be read gets its own error reply; anything less is
      // not our protocol, and the connection closes.
      if (err instanceof ProtocolError && err.requestId !== undefined) {
        const code = err.code === 'UNKNOWN_METHOD' ? 'UnknownMethod' : 'BadRequest';
        this.sendError(err.requestId, err.method ?? '', code, err.message);
        return;
      }
      this.conn.close(MALFORMED_CLOSE, 'malformed frame');
      return;
    }
    if (frame.kind !== 'request') {
      this.sendError(frame.requestId, frame.method, 'BadRequest', `a client sends requests, not ${frame.kind} frames`);
      return;
    }
    this.stats.requests++;
    void this.handle(frame);
  }

  onClose(): void {
    this.closed = true;
    this.hub.dropSink(this);
    this.drainWaiters = [];
  }

  private async handle(frame: RequestFrame): Promise<void> {
    const id = frame.requestId;
    try {
      if (frame.method !== 'login' && this.userId === undefined && !METHODS_BEFORE_LOGIN.includes(frame.method)) {
        throw new ServiceError('AuthRequired', `log in before calling ${frame.method}: send login { userId, password } first`);
      }
      const out = await this.dispatch(frame);
      if (this.closed) return;
      this.conn.send(encodeReply(id, frame.method, out.body as never, out.dataVersion ?? 0, out.arrow));
    } catch (err) {
      const { code, text } = wireError(err);
      this.stats.errorsByCode.set(code, (this.stats.errorsByCode.get(code) ?? 0) + 1);
      this.sendError(id, frame.method, code, text);
    }
  }

  private async dispatch(f: RequestFrame): Promise<{ body: unknown; arrow?: Uint8Array; dataVersion?: number }> {
    const s = this.service;
    switch (f.method) {
      case 'login':
        await this.auth.authenticate(f.body.userId, f.body.password);
        this.userId = f.body.userId;
        return { body: {} };
      case 'haStreamTable': return s.haStreamTable(f.body);
      case 'streamTable': return s.streamTable(f.body);
      case 'setStreamTableFilterColumn': return s.setStreamTableFilterColumn(f.body);
      case 'append': return s.append(f.body, f.arrow);
      case 'subscribeTable': return s.subscribeTable(f.body, this);
      case 'ackOffset': return s.ackOffset(f.body);
      case 'unsubscribeTable': return s.unsubscribeTable(f.body);
      case 'getTopicProcessedOffset': return s.getTopicProcessedOffset(f.body);
      case 'removeTopicOffset': return s.removeTopicOffset(f.body);
      case 'dropStreamTable': return s.dropStreamTable(f.body);
      case 'getStreamingRaftGroups': return s.getStreamingRaftGroups();
      case 'getStreamingLeader': return s.getStreamingLeader(f.body);
      case 'getPersistenceMeta': return s.getPersistenceMeta(f.body);
      case 'getStreamingStat': return { body: { json: JSON.stringify(s.streamingStat(this.extraStat())) } };
      case 'readTable': return s.readTable(f.body);
      case 'listTables': return s.listTables();
      default: {
        const unknown: never = f;
        throw new ServiceError('UnknownMethod', `unknown method ${(unknown as { method: string }).method}`);
      }
    }
  }

  // ---- SubscriberSink ---------------------------------------------------------------------------

  push(rows: RowsPush): PushResult {
    if (this.closed || this.conn.bufferedBytes() > this.maxBufferedBytes) return 'refused';
    const result = this.conn.send(encodePush('rows', { topic: rows.topic, firstOffset: rows.firstOffset, rowCount: rows.rowCount, offsets: rows.offsets ?? [], nextOffset: rows.nextOffset }, rows.ipc));
    if (result === 'sent') return 'sent';
    if (result === 'buffered') return 'full';
    return 'refused';
  }

  onDrain(resume: () => void): void {
    if (this.closed) return;
    this.drainWaiters.push(resume);
    if (this.drainWaiters.length === 1) {
      this.conn.onDrain(() => {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of waiters) w();
      });
    }
  }

  closeSubscription(topic: string, reason: string, newLeaderSite: string | undefined): void {
    if (this.closed) return;
    this.conn.send(encodePush('subscriptionClosed', { topic, reason, newLeader: newLeaderSite ?? '' }));
  }

  private sendError(id: number, method: string, code: string, text: string): void {
    if (!this.closed) this.conn.send(encodeError(id, method, code, text));
  }
}

/** The wire code and text of any error a call ended with; unexpected ones are Internal. */
function wireError(err: unknown): { code: string; text: string } {
  if (err instanceof ServiceError) return { code: err.code, text: err.text };
  if (err instanceof CodedError) {
    const code = (err as CodedError<string>).code;
    if (code === 'AUTH_FAILED') return { code: 'AuthFailed', text: 'wrong user id or password' };
    if (err instanceof ProtocolError) return { code: 'BadRequest', text: err.message };
    return { code: 'Internal', text: err.message };
  }
  return { code: 'Internal', text: err instanceof Error ? err.message : String(err) };
}

