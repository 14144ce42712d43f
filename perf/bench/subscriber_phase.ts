// Subscribers on the HA table while the writers run at the peak case (4 writers, batch 10,000): do they
// keep up? Each subscriber counts the rows it is handed; a sampler compares them with the rows
// acknowledged to the writers every 100 ms. Then historical replay: a fresh subscriber from offset 0 of
// a table already holding N rows, timed until it has them all.

import { performance } from 'node:perf_hooks';
import type { ShoalClient, Subscription } from '../../clients/index.js';
import { BENCH_GROUP, BenchCluster } from './bench_cluster.js';
import { benchSchema } from './rows.js';
import { prepareBatches } from './shoal_writer.js';
import { WriteCase } from './write_case.js';

const SAMPLE_MS = 100;
/** How long subscribers get, after the writers stop, to reach the last row before they count as behind. */
const DRAIN_LIMIT_MS = 30_000;

export interface SubscriberOutcome {
  subscribers: number;
  rowsWritten: number;
  writeRowsPerSec: number;
  /** Per subscriber: rows handed to it / time from the first write to its last row. */
  deliveredRowsPerSec: number[];
  /** The most rows any subscriber was behind the acknowledged writes, sampled every 100 ms. */
  maxLagRows: number;
  /** From the writers' last acknowledgement to the slowest subscriber's last row. */
  drainMs: number;
  keptUp: boolean;
}

export interface ReplayOutcome {
  rows: number;
  /** Time to write them (4 writers, batch 10,000), for the record. */
  writeMs: number;
  replayMs: number;
  replayRowsPerSec: number;
}

interface Counter { rows: number; lastAt: number }

async function subscribeCounting(client: ShoalClient, table: string, action: string, offset: number, counter: Counter): Promise<Subscription> {
  return client.subscribeTable({
    tableName: table, actionName: action, offset, msgAsTable: true, batchSize: 10_000, throttle: 0.01,
    handler: (t: { numRows: number }) => {
      counter.rows += t.numRows;
      counter.lastAt = performance.now();
    },
  });
}

async function writeFor(writers: ShoalClient[], table: string, c: WriteCase, untilRows: number | undefined, seconds: number, onAck: (rows: number) => void): Promise<{ rows: number; ms: number }> {
  const batches = prepareBatches(c);
  let rows = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(writers.slice(0, c.writers).map(async (w, i) => {
    for (let k = 0; untilRows === undefined ? performance.now() < deadline : rows < untilRows; k++) {
      await w.append(table, batches[i]![k % batches[i]!.length]!);
      rows += c.batchRows;
      onAck(rows);
    }
  }));
  return { rows, ms: performance.now() - started };
}

export async function runSubscriberPhase(bench: BenchCluster, subscribers: number, seconds: number, seed: number): Promise<SubscriberOutcome> {
  const table = `bench_sub_${subscribers}`;
  await bench.admin.haStreamTable(BENCH_GROUP, benchSchema(11), table, 100_000);
  const c: WriteCase = { columns: 11, writers: 4, batchRows: 10_000, writesPerWriter: 1_000, seed };
  const writers = await bench.writers(c.writers);
  const readers = await Promise.all(Array.from({ length: subscribers }, () => bench.cluster.client(bench.leader, { highAvailability: true })));
  const counters: Counter[] = readers.map(() => ({ rows: 0, lastAt: 0 }));
  const subs = await Promise.all(readers.map((r, i) => subscribeCounting(r, table, `sub${i}`, 0, counters[i]!)));
  let acked = 0;
  let maxLagRows = 0;
  const sampler = setInterval(() => {
    for (const k of counters) maxLagRows = Math.max(maxLagRows, acked - k.rows);
  }, SAMPLE_MS);
  const started = performance.now();
  const written = await writeFor(writers, table, c, undefined, seconds, (rows) => (acked = rows));
  const lastAck = performance.now();
  const drainDeadline = lastAck + DRAIN_LIMIT_MS;
  while (counters.some((k) => k.rows < written.rows) && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, 5));
  clearInterval(sampler);
  const drainMs = Math.max(0, Math.max(...counters.map((k) => k.lastAt)) - lastAck);
  await Promise.all(subs.map((s) => s.unsubscribe()));
  await bench.admin.dropStreamTable(table);
  const keptUp = counters.every((k) => k.rows === written.rows) && drainMs < 1_000;
  return {
    subscribers, rowsWritten: written.rows, writeRowsPerSec: (written.rows * 1000) / written.ms,
    deliveredRowsPerSec: counters.map((k) => (k.rows * 1000) / Math.max(1, k.lastAt - started)),
    maxLagRows, drainMs, keptUp,
  };
}

export async function runReplayPhase(bench: BenchCluster, rows: number, seed: number): Promise<ReplayOutcome> {
  const table = 'bench_replay';
  await bench.admin.haStreamTable(BENCH_GROUP, benchSchema(11), table, 100_000);
  const c: WriteCase = { columns: 11, writers: 4, batchRows: 10_000, writesPerWriter: Math.ceil(rows / 40_000), seed };
  const written = await writeFor(await bench.writers(4), table, c, rows, 0, () => undefined);
  const reader = await bench.cluster.client(bench.leader, { highAvailability: true });
  const counter: Counter = { rows: 0, lastAt: 0 };
  const started = performance.now();
  const sub = await subscribeCounting(reader, table, 'replay', 0, counter);
  const deadline = started + 600_000;
  while (counter.rows < written.rows && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const replayMs = counter.lastAt - started;
  await sub.unsubscribe();
  await bench.admin.dropStreamTable(table);
  if (counter.rows < written.rows) throw new Error(`replay delivered ${counter.rows} of ${written.rows} rows in 600 s`);
  return { rows: written.rows, writeMs: written.ms, replayMs, replayRowsPerSec: (written.rows * 1000) / replayMs };
}
