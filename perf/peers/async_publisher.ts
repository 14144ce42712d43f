// Pipelined JetStream publishing for one writer connection, the way the Go client's PublishAsync works:
// every message is a plain publish whose reply subject is on one wildcard inbox this writer subscribes to,
// and JetStream's ack (a small JSON PubAck) comes back on it. The server does exactly what it does for
// js.publish: store the message in the stream, replicate it, commit it, then ack.
//
// Why not js.publish: in nats.js 2.29.3 each js.publish costs the Node process 20-30 us of CPU (a request
// object with its own timer and promise, empty headers encoded on every message, and a stack-captured
// "Cancelled" error built after every successful ack). On this 2-core machine that made the benchmark's
// own client the bottleneck of batches of 1,000 rows (see perf/peers/README.md), so NATS was measured
// through its client's overhead rather than its servers.

import { createInbox, Msg, NatsConnection, NatsError, Subscription } from 'nats';
import { messageOf } from '../../storage/state/errors.js';
import { PeerError } from './peer_errors.js';

export interface AsyncPublisherOptions {
  /** At most this many messages sent and not yet acknowledged. */
  maxInflightPublishes: number;
  /** A batch fails when it has waited this long without its last ack. */
  ackTimeoutMs: number;
}

/** One batch in flight: how many acks it still waits for, and how it ends. */
interface PendingBatch {
  replySubject: string;
  sent: number;
  acked: number;
  failure: Error | undefined;
  /** Resolves when the batch has every ack, fails, or frees a slot of the in-flight window. */
  wake: (() => void) | undefined;
}

export class AsyncJetStreamPublisher {
  private readonly inboxPrefix = `${createInbox()}.`;
  private readonly subscription: Subscription;
  private readonly decoder = new TextDecoder();
  private batchNumber = 0;
  private pending: PendingBatch | undefined;

  constructor(private readonly nc: NatsConnection, private readonly subject: string, private readonly o: AsyncPublisherOptions) {
    this.subscription = nc.subscribe(`${this.inboxPrefix}*`, { callback: (err, msg) => this.onAck(err, msg) });
  }

  /** Publishes every payload, pipelined, and resolves once JetStream has acknowledged them all. */
  async publishAll(payloads: readonly Uint8Array[]): Promise<void> {
    if (this.pending !== undefined) throw new Error('AsyncJetStreamPublisher.publishAll: the previous batch has not finished; await it first');
    // A fresh reply subject per batch: a late ack of an abandoned batch cannot count for the next one.
    const batch: PendingBatch = { replySubject: `${this.inboxPrefix}${++this.batchNumber}`, sent: 0, acked: 0, failure: undefined, wake: undefined };
    this.pending = batch;
    const timer = setTimeout(() => this.fail(batch, new PeerError('PUBLISH_FAILED', `${payloads.length - batch.acked} of ${payloads.length} publishes to ${this.subject} had no JetStream ack after ${this.o.ackTimeoutMs} ms; is the stream's leader up (see the server logs)?`)), this.o.ackTimeoutMs);
    try {
      for (const payload of payloads) {
        if (batch.sent - batch.acked >= this.o.maxInflightPublishes) await this.wakeUp(batch);
        if (batch.failure !== undefined) throw batch.failure;
        this.nc.publish(this.subject, payload, { reply: batch.replySubject });
        batch.sent++;
      }
      while (batch.acked < batch.sent && batch.failure === undefined) await this.wakeUp(batch);
      if (batch.failure !== undefined) throw batch.failure;
    } finally {
      clearTimeout(timer);
      this.pending = undefined;
    }
  }

  close(): void {
    this.subscription.unsubscribe();
  }

  private wakeUp(batch: PendingBatch): Promise<void> {
    return new Promise((resolve) => (batch.wake = resolve));
  }

  private onAck(err: NatsError | null, msg: Msg): void {
    const batch = this.pending;
    if (batch === undefined || msg?.subject !== batch.replySubject) return; // an abandoned batch's late ack
    if (err !== null) return this.fail(batch, new PeerError('PUBLISH_FAILED', `the ack subscription of ${this.subject} failed: ${messageOf(err)}`, { cause: err }));
    const failure = ackFailure(msg, this.decoder);
    if (failure !== undefined) return this.fail(batch, new PeerError('PUBLISH_FAILED', `JetStream refused a publish to ${this.subject}: ${failure}`));
    batch.acked++;
    // Wake the sender when the batch is complete, or when a slot of a full window has just freed.
    if (batch.acked === batch.sent || batch.sent - batch.acked === this.o.maxInflightPublishes - 1) this.wake(batch);
  }

  private fail(batch: PendingBatch, err: Error): void {
    batch.failure ??= err;
    this.wake(batch);
  }

  private wake(batch: PendingBatch): void {
    const wake = batch.wake;
    batch.wake = undefined;
    wake?.();
  }
}

/** Why an ack message is not a successful PubAck, or undefined when it is one. */
function ackFailure(msg: Msg, decoder: TextDecoder): string | undefined {
  if (msg.headers?.hasError) return `status ${msg.headers.code} ${msg.headers.description}`; // e.g. 503: no stream listens on the subject
  const text = decoder.decode(msg.data);
  let ack: { stream?: unknown; seq?: unknown; error?: { description?: unknown } };
  try {
    ack = JSON.parse(text) as typeof ack;
  } catch {
    return `an ack that is not JSON: ${text.slice(0, 200)}`;
  }
  if (ack.error !== undefined) return String(ack.error.description ?? JSON.stringify(ack.error));
  if (typeof ack.stream !== 'string' || typeof ack.seq !== 'number') return `an ack without stream and seq: ${text.slice(0, 200)}`;
  return undefined;
}
