// Write-ahead log benchmark (issue 3): append throughput and latency for 100 B, 64 KiB and 1 MiB
// records at 1 and 16 concurrent writers, next to the raw synced write rate of the same disk,
// measured in the same run. A benchmark, not a test: it prints and records, it asserts nothing.
//
// Each writer: append one record, sync, wait for the callback, repeat. The raw rate is one
// writer doing fs.write + fs.fdatasync of the same size, appending to a plain file, through the
// same libuv thread pool the WAL uses. With 16 writers the raw one-writer figure is the ceiling
// one sync could reach without group commit.
//
//   npm run bench:wal                      (3 s a case)
//   npm run bench:wal -- --quick           (1 s a case)
//   node dist/perf/wal_bench.js --dir D --seconds S --size 1048576 --writers 1 --no-json

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WalRecord } from '../broker/host/wal_records.js';
import { FRAME_HEADER_BYTES } from '../storage/wal/frame.js';
import { NodeWalFiles } from '../storage/wal/node_wal_files.js';
import { DEFAULT_MAX_SEGMENT_BYTES, WriteAheadLog } from '../storage/wal/write_ahead_log.js';

const REPO_ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RECORD_SIZES = [100, 64 * 1024, 1024 * 1024];
const WRITER_COUNTS = [1, 16];
const MB = 1e6;

interface Options {
  dir: string;
  caseMs: number;
  sizes: number[];
  writers: number[];
  writeJson: boolean;
}

interface RawResult {
  opsPerSec: number;
  mbPerSec: number;
  latencyMsP50: number;
  latencyMsP99: number;
}

interface WalResult {
  recordBytes: number;
  writers: number;
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  latencyMsP50: number;
  latencyMsP99: number;
  fdatasyncs: number;
  recordsPerFdatasync: number;
  raw: RawResult;
  /** WAL MB/s over the raw one-writer synced MB/s of the same record size. */
  percentOfRaw: number;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { dir: os.tmpdir(), caseMs: 3000, sizes: RECORD_SIZES, writers: WRITER_COUNTS, writeJson: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') opts.caseMs = 1000;
    else if (arg === '--seconds') opts.caseMs = Number(value()) * 1000;
    else if (arg === '--dir') opts.dir = value();
    else if (arg === '--size') opts.sizes = [Number(value())];
    else if (arg === '--writers') opts.writers = [Number(value())];
    else if (arg === '--no-json') opts.writeJson = false;
    else throw new Error(`unknown argument ${arg}; see the comment at the top of perf/wal_bench.ts`);
  }
  return opts;
}

function percentile(sortedMs: readonly number[], q: number): number {
  if (sortedMs.length === 0) return NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor(q * sortedMs.length))]!;
}

function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(n, i + 65536)));
  return bytes;
}

function writeAt(fd: number, bytes: Uint8Array, position: number): Promise<void> {
  return new Promise((resolve, reject) => fs.write(fd, bytes, 0, bytes.length, position, (e) => (e ? reject(e) : resolve())));
}

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
}

function syncWal(wal: WriteAheadLog): Promise<void> {
  return new Promise((resolve, reject) => wal.sync((e) => (e ? reject(e) : resolve())));
}

/**
 * One contender of a record size: runs in slices, so the raw file and the WALs take turns on the
 * disk and all see the same conditions (this virtual disk's sync latency drifts by 5x over minutes).
 */
interface Contender {
  runSlice(deadline: number): Promise<void>;
  finish(): Promise<void>;
  elapsedMs: number;
  latencies: number[];
}

/**
 * One writer appending plain writes of a record's frame size (record + FRAME_HEADER_BYTES header) to plain
 * files, fdatasync after each. The raw loop lays bytes out as the WAL does: on this virtual disk
 * an fdatasync after a write ending mid-page runs 25% faster than after a page-aligned one, and
 * one ever-growing file syncs slower than 64 MiB files; either difference would flatter the WAL.
 * So like the WAL it starts a new file every DEFAULT_MAX_SEGMENT_BYTES and keeps the old ones.
 */
function rawContender(dir: string, recordBytes: number): Contender {
  const bytes = recordBytes + FRAME_HEADER_BYTES;
  const payload = randomBytes(bytes);
  const files: string[] = [];
  let fd = -1;
  let position = 0;
  const nextFile = (): void => {
    if (fd >= 0) fs.closeSync(fd);
    files.push(path.join(dir, `raw-${recordBytes}-${files.length}.bin`));
    fd = fs.openSync(files[files.length - 1]!, 'wx');
    position = 0;
  };
  nextFile();
  const c: Contender = {
    elapsedMs: 0,
    latencies: [],
    async runSlice(deadline) {
      const start = performance.now();
      while (performance.now() < deadline) {
        if (position > 0 && position + bytes > DEFAULT_MAX_SEGMENT_BYTES) nextFile();
        const t = performance.now();
        await writeAt(fd, payload, position);
        await fdatasync(fd);
        c.latencies.push(performance.now() - t);
        position += bytes;
      }
      c.elapsedMs += performance.now() - start;
    },
    async finish() {
      fs.closeSync(fd);
      for (const f of files) fs.rmSync(f);
    },
  };
  return c;
}

/** `writers` writers on one WAL, each appending one record, syncing and waiting, again and again. */
function walContender(dir: string, bytes: number, writers: number): Contender & { wal: WriteAheadLog } {
  const walDir = path.join(dir, `wal-${bytes}-${writers}`);
  const { wal } = WriteAheadLog.open({ files: new NodeWalFiles(walDir) });
  // Each writer reuses its own payload: it waits for the sync before appending the next record.
  const payloads = Array.from({ length: writers }, () => randomBytes(bytes));
  const nextLsn = payloads.map(() => 1);
  const writer = async (i: number, deadline: number): Promise<void> => {
    while (performance.now() < deadline) {
      const record: WalRecord = { kind: 'entries', group: i + 1, entries: [{ term: 1, index: nextLsn[i]!++, type: 0, data: payloads[i]! }] };
      const t = performance.now();
      wal.append([record]);
      await syncWal(wal);
      c.latencies.push(performance.now() - t);
    }
  };
  const c = {
    wal,
    elapsedMs: 0,
    latencies: [] as number[],
    async runSlice(deadline: number) {
      const start = performance.now();
      await Promise.all(payloads.map((_, i) => writer(i, deadline)));
      c.elapsedMs += performance.now() - start;
    },
    async finish() {
      await new Promise<void>((resolve, reject) => wal.close((e) => (e ? reject(e) : resolve())));
      fs.rmSync(walDir, { recursive: true, force: true });
    },
  };
  return c;
}

const SLICE_MS = 250;

/** Raw and WAL contenders of one record size take turns, rotating who goes first, for caseMs each. */
async function measureSize(dir: string, bytes: number, writerCounts: number[], caseMs: number): Promise<WalResult[]> {
  const raw = rawContender(dir, bytes);
  const wals = writerCounts.map((w) => walContender(dir, bytes, w));
  const all: Contender[] = [raw, ...wals];
  try {
    for (let round = 0; round * SLICE_MS < caseMs; round++) {
      for (let k = 0; k < all.length; k++) {
        const c = all[(round + k) % all.length]!;
        await c.runSlice(performance.now() + SLICE_MS);
      }
    }
  } finally {
    for (const c of all) await c.finish();
  }
  const rawResult = rawSummary(raw, bytes);
  return wals.map((c, i) => walSummary(c, bytes, writerCounts[i]!, rawResult));
}

function rawSummary(c: Contender, bytes: number): RawResult {
  const seconds = c.elapsedMs / 1000;
  const sorted = [...c.latencies].sort((a, b) => a - b);
  return {
    opsPerSec: sorted.length / seconds,
    mbPerSec: (sorted.length * bytes) / MB / seconds,
    latencyMsP50: percentile(sorted, 0.5),
    latencyMsP99: percentile(sorted, 0.99),
  };
}

function walSummary(c: Contender & { wal: WriteAheadLog }, recordBytes: number, writers: number, raw: RawResult): WalResult {
  const seconds = c.elapsedMs / 1000;
  const sorted = [...c.latencies].sort((a, b) => a - b);
  const records = sorted.length;
  const mbPerSec = (records * recordBytes) / MB / seconds;
  return {
    recordBytes,
    writers,
    records,
    recordsPerSec: records / seconds,
    mbPerSec,
    latencyMsP50: percentile(sorted, 0.5),
    latencyMsP99: percentile(sorted, 0.99),
    fdatasyncs: c.wal.stats.fdatasyncs,
    recordsPerFdatasync: records / c.wal.stats.fdatasyncs,
    raw,
    percentOfRaw: (100 * mbPerSec) / raw.mbPerSec,
  };
}

function sizeLabel(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

const COLUMNS = ['record', 'writers', 'records/s', 'MB/s', 'p50 ms', 'p99 ms', 'fdatasyncs', 'rec/fdatasync', 'raw syncs/s', 'raw MB/s', 'raw p50 ms', 'WAL/raw MB/s'];

function tableRow(r: WalResult): string[] {
  return [
    sizeLabel(r.recordBytes), String(r.writers), fixed(r.recordsPerSec, 0), fixed(r.mbPerSec, 1), fixed(r.latencyMsP50, 2),
    fixed(r.latencyMsP99, 2), String(r.fdatasyncs), fixed(r.recordsPerFdatasync, 1), fixed(r.raw.opsPerSec, 0),
    fixed(r.raw.mbPerSec, 1), fixed(r.raw.latencyMsP50, 2), `${fixed(r.percentOfRaw, 0)}%`,
  ];
}

/** A Markdown table, so it pastes into perf/README.md as printed. */
function formatTable(results: readonly WalResult[]): string {
  const rows = [COLUMNS, ...results.map(tableRow)];
  const widths = COLUMNS.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string => `| ${r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  return [line(rows[0]!), `| ${widths.map((w, c) => (c < 2 ? '-'.repeat(w) : '-'.repeat(w - 1) + ':')).join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}

function summary(results: readonly WalResult[]): string[] {
  const lines: string[] = [];
  for (const r of results.filter((x) => x.recordBytes === 1024 * 1024)) {
    const verdict = r.writers === 1 ? (r.percentOfRaw >= 80 ? 'meets' : 'MISSES') + ' the 80% target' : 'group commit, above one synced writer';
    lines.push(`1 MiB records, ${r.writers} writer(s): ${fixed(r.mbPerSec, 1)} MB/s = ${fixed(r.percentOfRaw, 0)}% of raw synced sequential ${fixed(r.raw.mbPerSec, 1)} MB/s (${verdict})`);
  }
  for (const r of results.filter((x) => x.writers === 16 && x.recordBytes <= 64 * 1024)) {
    lines.push(`${sizeLabel(r.recordBytes)} records, 16 writers: ${fixed(r.recordsPerFdatasync, 1)} records per fdatasync, ${fixed(r.recordsPerSec / r.raw.opsPerSec, 1)}x the raw sync rate`);
  }
  return lines;
}

function describeDir(dir: string): string {
  const sameDevice = fs.statSync(dir).dev === fs.statSync(REPO_ROOT).dev;
  return `${dir} (${sameDevice ? 'same' : 'NOT the same'} device as the repository ${REPO_ROOT})`;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(opts.dir, 'shoal-wal-bench-'));
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryMiB: Math.round(os.totalmem() / 2 ** 20), kernel: os.release(), node: process.version };
  console.log(`WAL benchmark in ${describeDir(dir)}`);
  console.log(`${machine.cpus} cores (${machine.cpuModel}), node ${machine.node}, Linux ${machine.kernel}; ${opts.caseMs / 1000} s a case\n`);
  const results: WalResult[] = [];
  try {
    for (const size of opts.sizes) {
      for (const r of await measureSize(dir, size, opts.writers, opts.caseMs)) {
        results.push(r);
        console.log(`  ${sizeLabel(size)} x ${r.writers}: ${fixed(r.mbPerSec, 1)} MB/s, ${fixed(r.recordsPerSec, 0)} records/s (raw ${fixed(r.raw.mbPerSec, 1)} MB/s)`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log('\n' + formatTable(results) + '\n');
  for (const line of summary(results)) console.log(line);
  if (opts.writeJson) {
    const date = new Date().toISOString().slice(0, 10);
    const out = path.join(REPO_ROOT, 'perf', 'results', `wal-${date}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ date, dir: describeDir(opts.dir), caseMs: opts.caseMs, machine, results }, null, 2) + '\n');
    console.log(`\nwrote ${path.relative(REPO_ROOT, out)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
