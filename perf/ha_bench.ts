// npm run bench: seed 003's HA-vs-regular stream table benchmark on a 3-node cluster on loopback, plus
// subscriber throughput, historical replay and each node's memory; `--peers` (npm run bench:peers) adds
// NATS JetStream R3 on three local servers, the same cases in the same run. Prints tables and writes
// JSON to perf/results/. A benchmark: it measures and asserts nothing (perf/README.md).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { BenchArgs, parseBenchArgs } from './bench/bench_args.js';
import { BENCH_GROUP, BenchCluster, startBenchCluster } from './bench/bench_cluster.js';
import { benchSchema } from './bench/rows.js';
import { TimedWriteOutcome, prepareBatches, runShoalWriteCase } from './bench/shoal_writer.js';
import { WriteCase, WriteOutcome } from './bench/write_case.js';
import { formatPeerTable, formatSubscriberTable, formatWriteTable, int, WriteRow } from './bench/report.js';
import { SubscriberOutcome, runReplayPhase, runSubscriberPhase } from './bench/subscriber_phase.js';
import { natsServerPath, startNatsCluster } from './peers/nats_cluster.js';
import { runNatsWriteCase } from './peers/nats_writer.js';

const CACHE_LIMIT_ROWS = 100_000;

function casesOf(args: BenchArgs): WriteCase[] {
  const cases: WriteCase[] = [];
  for (const columns of args.columns) {
    for (const writers of args.writers) {
      for (const batchRows of args.batches) {
        cases.push({ columns, writers, batchRows, writesPerWriter: maxWritesOf(batchRows, columns), seed: args.seed });
      }
    }
  }
  return cases;
}

/** Seed 003 made 10,000 writes per thread (1,000 at batch 10,000); the time budget usually ends a case first. */
function maxWritesOf(batchRows: number, columns: number): number {
  const base = batchRows >= 10_000 ? 1_000 : 10_000;
  return columns > 11 && batchRows >= 10_000 ? base / 4 : base;
}

async function createTable(bench: BenchCluster, kind: 'ha' | 'regular', name: string, columns: number): Promise<void> {
  const schema = benchSchema(columns);
  if (kind === 'ha') await bench.admin.haStreamTable(BENCH_GROUP, schema, name, CACHE_LIMIT_ROWS);
  else await bench.admin.streamTable(name, schema, { cacheLimit: CACHE_LIMIT_ROWS });
}

async function runCase(bench: BenchCluster, c: WriteCase, args: BenchArgs, index: number): Promise<WriteRow> {
  const batches = prepareBatches(c);
  const clients = await bench.writers(c.writers);
  const outcomes: Partial<Record<'ha' | 'regular', TimedWriteOutcome>> = {};
  // regular first, then HA: each on a fresh table ("tables and data are cleared before each test")
  for (const kind of ['regular', 'ha'] as const) {
    const name = `bench_${kind}_${index}`;
    await createTable(bench, kind, name, c.columns);
    outcomes[kind] = await runShoalWriteCase(clients, name, c, batches, args.caseSeconds * 1000);
    await bench.admin.dropStreamTable(name);
  }
  return { case: c, ha: outcomes.ha!, regular: outcomes.regular! };
}

interface PeerRow {
  case: WriteCase;
  shoal: TimedWriteOutcome;
  /** One NATS message per row. */
  natsRows: WriteOutcome;
  /** A write's rows packed into one message (up to max_payload), as Shoal sends a batch. */
  natsBatch: WriteOutcome;
}

async function runPeers(rows: WriteRow[], caseSeconds: number): Promise<PeerRow[] | string> {
  const server = natsServerPath();
  if (server === undefined) return 'nats-server is not installed (Debian: apt-get install nats-server): NATS JetStream was not measured';
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-nats-'));
  const nats = await startNatsCluster({ dir });
  try {
    const out: PeerRow[] = [];
    for (const row of rows) {
      const c = { ...row.case, writesPerWriter: maxWritesOf(row.case.batchRows, row.case.columns) };
      const natsRows = await runNatsWriteCase(nats, c, { messagePer: 'row', timeBudgetMs: caseSeconds * 1000 });
      const natsBatch = await runNatsWriteCase(nats, c, { messagePer: 'batch', timeBudgetMs: caseSeconds * 1000 });
      out.push({ case: c, shoal: row.ha, natsRows, natsBatch });
      console.log(formatPeerTable(out.slice(-1), out.length === 1));
    }
    return out;
  } finally {
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const replayRows = args.quick ? 1_000_000 : 10_000_000;
  console.log(`Shoal HA streaming benchmark: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString()}`);
  console.log(`3 data nodes on 127.0.0.1, dataSync=1, cacheLimit ${CACHE_LIMIT_ROWS}; ${args.caseSeconds} s per case and table kind${args.quick ? ' (--quick)' : ''}\n`);
  const bench = await startBenchCluster(args.profileDir === undefined ? {} : { profileDir: args.profileDir });
  const result: Record<string, unknown> = { date: new Date().toISOString(), cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, args };
  try {
    // warm up: connections, JIT, first segment files
    await runCase(bench, { columns: 11, writers: 1, batchRows: 100, writesPerWriter: 200, seed: args.seed }, { ...args, caseSeconds: 1 }, 0);
    const rows: WriteRow[] = [];
    const cases = casesOf(args);
    for (let i = 0; i < cases.length; i++) {
      rows.push(await runCase(bench, cases[i]!, args, i + 1));
      console.log(formatWriteTable(rows.slice(-1), i === 0));
    }
    result['writes'] = rows;
    console.log('\nSeed 003 table, HA (3 replicas, fsync on a majority) vs regular (1 node, fsync):\n' + formatWriteTable(rows, true));
    if (args.subscribers) {
      const subs: SubscriberOutcome[] = [];
      for (const n of [1, 4]) subs.push(await runSubscriberPhase(bench, n, args.caseSeconds, args.seed));
      result['subscribers'] = subs;
      console.log('\nSubscribers on the HA table while 4 writers append batches of 10,000 rows:\n' + formatSubscriberTable(subs));
      const replay = await runReplayPhase(bench, replayRows, args.seed);
      result['replay'] = replay;
      console.log(`\nReplay from offset 0 of ${int(replay.rows)} rows (cacheLimit ${CACHE_LIMIT_ROWS}): ${int(replay.replayMs)} ms, ${int(replay.replayRowsPerSec)} rows/s (written in ${int(replay.writeMs)} ms)`);
    }
    const rss = await bench.rssBytes();
    result['rssBytes'] = rss;
    console.log('\nRSS at the end: ' + rss.map((r) => `${r.alias} ${(r.rssBytes / 2 ** 20).toFixed(0)} MiB`).join(', '));
    await bench.stop(); // before NATS starts: the two must not share the cores
    if (args.peers) {
      console.log('\nNATS JetStream R3 on 3 local servers, the same rows and writes (NATS 2.9 does not fsync each write; Shoal does):');
      const peers = await runPeers(rows, args.caseSeconds);
      if (typeof peers === 'string') console.log(peers);
      else console.log('\n' + formatPeerTable(peers, true));
      result['peers'] = peers;
    }
    if (args.json) {
      const dir = join(process.cwd(), 'perf', 'results');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `ha-${new Date().toISOString().slice(0, 10)}${args.quick ? '-quick' : ''}${args.peers ? '-peers' : ''}.json`);
      writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
      console.log(`\nwrote ${file}`);
    }
  } finally {
    await bench.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
