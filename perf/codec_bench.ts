// Codec benchmark (not a test): encode+decode of an append frame with 1 MiB of Arrow bytes, and of a
// peer batch with one App message of 64 entries of 1 KiB. Run: node dist/perf/codec_bench.js
// The numbers go to docs/protocol.md by hand.

import { performance } from 'node:perf_hooks';
import { emptyBatch } from '../broker/host/peer_batch.js';
import { EntryType, MessageType, message } from '../broker/raft/types.js';
import { decodeFrame, encodeRequest } from '../broker/protocol/frames.js';
import { decodePeerBatch, encodePeerBatch } from '../broker/protocol/peer_frames.js';
import { fakeArrow } from '../test/protocol/samples.js';

function measure(name: string, bytesPerOp: number, op: () => void): void {
  for (let i = 0; i < 200; i++) op(); // warm up the JIT
  const rounds = 2000;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) op();
  const usPerOp = ((performance.now() - start) * 1000) / rounds;
  const mibPerS = bytesPerOp / 1024 / 1024 / (usPerOp / 1e6);
  console.log(`${name.padEnd(50)} ${usPerOp.toFixed(1).padStart(8)} us/op  ${mibPerS.toFixed(0).padStart(6)} MiB/s`);
}

const arrow = fakeArrow(1024 * 1024);
const appendBody = { tableName: 'trades', producerId: 'feed-1', sequence: 123456 };
measure('append frame, 1 MiB arrow: encode', arrow.byteLength, () => encodeRequest(1, 'append', appendBody, arrow));
const appendBytes = encodeRequest(1, 'append', appendBody, arrow);
measure('append frame, 1 MiB arrow: decode', arrow.byteLength, () => decodeFrame(appendBytes));
measure('append frame, 1 MiB arrow: encode + decode', arrow.byteLength, () => decodeFrame(encodeRequest(1, 'append', appendBody, arrow)));

const entries = Array.from({ length: 64 }, (_, i) => ({ term: 7, index: 1_000_000 + i, type: EntryType.Normal, data: fakeArrow(1024, i) }));
const batch = emptyBatch(1, 2);
batch.messages.push({ group: 2, message: message({ type: MessageType.App, from: 1, to: 2, term: 7, logTerm: 7, index: 999_999, commit: 999_990, entries }) });
const payload = 64 * 1024;
measure('peer batch, 64 entries x 1 KiB: encode', payload, () => encodePeerBatch(batch));
const batchBytes = encodePeerBatch(batch);
measure('peer batch, 64 entries x 1 KiB: decode', payload, () => decodePeerBatch(batchBytes));
measure('peer batch, 64 entries x 1 KiB: encode + decode', payload, () => decodePeerBatch(encodePeerBatch(batch)));
