// One write case of the benchmark (perf/bench/write_case.ts) against a NATS JetStream stream with one
// replica per server (R3 on the usual cluster): the same rows, writers and batches as Shoal's side, one
// row per NATS message.
//
// One write = publish the batch's rows to JetStream pipelined (every message is sent before any ack is
// awaited, up to maxInflightPublishes), then wait for all their acks. A writer starts its next write
// only once the previous one is fully acknowledged, as Shoal's synchronous writers do.
//
// Two ways to publish, the same stream work for the servers: 'async' (the default, async_publisher.ts:
// plain publishes with replies on one inbox, like the Go client's PublishAsync) and 'js.publish'
// (nats.js's own JetStream call for each message, which also sends an empty header block with every
// message, and whose client CPU cost caps the batches of 100 and more on this machine).

import { performance } from 'node:perf_hooks';
import { connect, JetStreamClient, JetStreamManager, NatsConnection, PubAck, StorageType } from 'nats';
import { benchSchema, benchColumns } from '../bench/rows.js';
import { outcomeOf, WriteCase, WriteOutcome } from '../bench/write_case.js';
import type { NatsCluster } from './nats_cluster.js';
import { AsyncJetStreamPublisher } from './async_publisher.js';
import { PeerError } from './peer_errors.js';
import { RowMessageEncoder } from './row_message.js';

export interface NatsWriteOptions {
  /** The stream to (re)create; BENCH_C<columns>_W<writers>_B<batch> unless told. */
  streamName?: string;
  /**
   * Publishes of one writer that may await their ack at once: 4,000 unless told, the Go client's own
   * default for PublishAsync (nats.go's defaultAsyncPubAckInflight). Batches up to 1,000 rows are thus
   * sent whole; a batch of 10,000 goes out as acks free room. With all 10,000 in flight, one writer
   * measured 35k rows/s against 55-70k with 1,000-4,000 (2026-11-22, this 2-core machine).
   */
  maxInflightPublishes?: number;
  /** Cap on the payload bytes generated before the timed part (64 MiB unless told). */
  maxPregeneratedBytes?: number;
  /** 'async' unless told (see the file comment). */
  publisher?: NatsPublisherKind;
  /** A write fails when its acks have not all come within this time (30 s unless told). */
  ackTimeoutMs?: number;
  /** Leave the stream in place after a successful run (for a test or a person to read it; they delete it). */
  keepStream?: boolean;
  /**
   * 'row' (default): one NATS message per row. 'batch': a write's rows packed back to back into as few
   * messages as the servers' max_payload allows (one, up to 1 MiB), as Shoal sends a batch as one frame.
   */
  messagePer?: 'row' | 'batch';
  /** Writers start no new write after this long (the case then counts the rows actually written). */
  timeBudgetMs?: number;
}

export type NatsPublisherKind = 'async' | 'js.publish';
export const NATS_PUBLISHER_KINDS: readonly NatsPublisherKind[] = ['async', 'js.publish'];

/** One write's rows, one message payload each. */
type Batch = Uint8Array[];

export const DEFAULT_MAX_INFLIGHT_PUBLISHES = 4_000;
export const DEFAULT_MAX_PREGENERATED_BYTES = 64 * 1024 * 1024;
export const DEFAULT_ACK_TIMEOUT_MS = 30_000;

/** Runs `c` on a fresh stream of `cluster`, checks the stream holds exactly its rows, then deletes it. */
export async function runNatsWriteCase(cluster: NatsCluster, c: WriteCase, o: NatsWriteOptions = {}): Promise<WriteOutcome> {
  checkCase(c);
  const streamName = o.streamName ?? `BENCH_C${c.columns}_W${c.writers}_B${c.batchRows}`;
  const subject = `bench.${streamName.toLowerCase()}`;
  const window = o.maxInflightPublishes ?? DEFAULT_MAX_INFLIGHT_PUBLISHES;
  if (!Number.isInteger(window) || window < 1) throw new PeerError('BAD_CASE', `maxInflightPublishes is ${window}; give a whole number of at least 1`);
  const kind = o.publisher ?? 'async';
  if (!NATS_PUBLISHER_KINDS.includes(kind)) throw new PeerError('BAD_CASE', `publisher is "${kind}"; give one of ${NATS_PUBLISHER_KINDS.join(', ')}`);
  const rowBatches = writerBatches(c, o.maxPregeneratedBytes ?? DEFAULT_MAX_PREGENERATED_BYTES);
  const batches = o.messagePer === 'batch' ? rowBatches.map((pool) => pool.map((b) => packRows(b, NATS_MAX_PAYLOAD_BYTES))) : rowBatches;

  const admin = await connect({ servers: cluster.urls[0]! });
  const writers: NatsConnection[] = [];
  let created = false;
  try {
    const jsm = await admin.jetstreamManager();
    await deleteIfPresent(jsm, streamName);
    await jsm.streams.add({ name: streamName, subjects: [subject], storage: StorageType.File, num_replicas: cluster.urls.length });
    created = true;
    // Each writer has its own connection, to the servers in turn, as independent producers would.
    for (let w = 0; w < c.writers; w++) writers.push(await connect({ servers: cluster.urls[w % cluster.urls.length]!, noAsyncTraces: true }));
    const publishers = writers.map((nc) => batchPublisher(nc, subject, kind, window, o.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS));

    const latenciesMs: number[] = [];
    let expectedMessages = 0;
    let writes = 0;
    const started = performance.now();
    const deadline = started + (o.timeBudgetMs ?? Number.POSITIVE_INFINITY);
    await Promise.all(publishers.map(async (publishAll, w) => {
      const pool = batches[w]!;
      for (let i = 0; i < c.writesPerWriter && performance.now() < deadline; i++) {
        const t0 = performance.now();
        const batch = pool[i % pool.length]!;
        await publishAll(batch);
        latenciesMs.push(performance.now() - t0);
        expectedMessages += batch.length;
        writes++;
      }
    }));
    const elapsedMs = performance.now() - started;

    const stored = (await jsm.streams.info(streamName)).state.messages;
    if (stored !== expectedMessages) throw new PeerError('COUNT_MISMATCH', `stream ${streamName} holds ${stored} messages after ${expectedMessages} acknowledged messages (${writes * c.batchRows} rows); the NATS run is not valid (see the server logs)`);
    if (o.keepStream === true) created = false;
    return outcomeOf(c, elapsedMs, latenciesMs, writes * c.batchRows);
  } finally {
    await Promise.all(writers.map((nc) => nc.close()));
    // A failed delete must not hide why the case failed; a leftover stream is deleted by the next run.
    if (created) await admin.jetstreamManager().then((jsm) => jsm.streams.delete(streamName)).catch(() => {});
    await admin.close();
  }
}

/** One writer's "publish this batch and resolve when JetStream has acked all of it". */
function batchPublisher(nc: NatsConnection, subject: string, kind: NatsPublisherKind, window: number, ackTimeoutMs: number): (batch: Batch) => Promise<void> {
  if (kind === 'js.publish') {
    const js = nc.jetstream({ timeout: ackTimeoutMs });
    return (batch) => jsPublishBatch(js, subject, batch, window);
  }
  const publisher = new AsyncJetStreamPublisher(nc, subject, { maxInflightPublishes: window, ackTimeoutMs }); // closed with nc
  return (batch) => publisher.publishAll(batch);
}

/** js.publish for every payload (at most `window` unacknowledged at once); resolves when all are acked. */
async function jsPublishBatch(js: JetStreamClient, subject: string, payloads: Batch, window: number): Promise<void> {
  const acks = new Array<Promise<PubAck>>(payloads.length);
  for (let j = 0; j < payloads.length; j++) {
    if (j >= window) await acks[j - window];
    const ack = js.publish(subject, payloads[j]);
    ack.catch(() => {}); // a failure is reported by the await below, not as an unhandled rejection meanwhile
    acks[j] = ack;
  }
  await Promise.all(acks);
}

/**
 * Each writer's batches, generated before the timed part: writer w's write i holds rows numbered from
 * (w * writesPerWriter + i) * batchRows, as Shoal's side writes. When all of them would exceed
 * `maxBytes`, each writer gets a pool of its first batches (at least one) and cycles through it.
 */
function writerBatches(c: WriteCase, maxBytes: number): Batch[][] {
  const schema = benchSchema(c.columns);
  const encoder = new RowMessageEncoder(schema);
  const batchOf = (w: number, i: number): Batch => {
    const firstRow = (w * c.writesPerWriter + i) * c.batchRows;
    return encoder.encodeBatch(benchColumns(schema, c.batchRows, firstRow, c.seed), c.batchRows);
  };
  const first = batchOf(0, 0);
  const batchBytes = first.reduce((sum, p) => sum + p.byteLength, 0);
  const perWriter = Math.max(1, Math.min(c.writesPerWriter, Math.floor(maxBytes / (batchBytes * c.writers))));
  return Array.from({ length: c.writers }, (_, w) => Array.from({ length: perWriter }, (_, i) => (w === 0 && i === 0 ? first : batchOf(w, i))));
}

/** nats-server's default max_payload. */
export const NATS_MAX_PAYLOAD_BYTES = 1 << 20;

/** Row payloads packed back to back into messages of at most `maxBytes` (a row is never split). */
export function packRows(rows: Batch, maxBytes: number): Batch {
  const out: Batch = [];
  let start = 0;
  while (start < rows.length) {
    let end = start;
    let bytes = 0;
    while (end < rows.length && (end === start || bytes + rows[end]!.byteLength <= maxBytes)) bytes += rows[end++]!.byteLength;
    const message = new Uint8Array(bytes);
    let at = 0;
    for (let r = start; r < end; r++) {
      message.set(rows[r]!, at);
      at += rows[r]!.byteLength;
    }
    out.push(message);
    start = end;
  }
  return out;
}

function checkCase(c: WriteCase): void {
  for (const [name, value] of [['writers', c.writers], ['batchRows', c.batchRows], ['writesPerWriter', c.writesPerWriter]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new PeerError('BAD_CASE', `${name} is ${value}; a write case needs a whole number of at least 1`);
  }
}

async function deleteIfPresent(jsm: JetStreamManager, streamName: string): Promise<void> {
  const present = await jsm.streams.info(streamName).then(() => true, () => false);
  if (present) await jsm.streams.delete(streamName); // a leftover of an interrupted run would hold old rows
}
