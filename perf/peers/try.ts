// Runs one write case against a fresh local 3-server NATS JetStream cluster and prints its outcome:
// for trying the NATS peer alone, outside the full benchmark (perf/ha_bench.ts).
//
//   npm run build && node dist/perf/peers/try.js [--columns 11] [--writers 1] [--batch 100] [--writes 200] [--seed 3] [--dir D] [--publisher async|js.publish] [--max-inflight N]

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WriteCase } from '../bench/write_case.js';
import { natsServerPath, startNatsCluster } from './nats_cluster.js';
import { NATS_PUBLISHER_KINDS, NatsPublisherKind, runNatsWriteCase } from './nats_writer.js';

interface TryOptions {
  c: WriteCase;
  /** Where the cluster lives; a fresh temp dir (removed after) unless told. */
  dir: string | undefined;
  publisher: NatsPublisherKind;
  /** Publishes a writer may have unacknowledged at once; the writer's default unless told. */
  maxInflight: number | undefined;
}

const USAGE = 'usage: node dist/perf/peers/try.js [--columns 11|211] [--writers N] [--batch ROWS] [--writes N] [--seed N] [--dir DIR] [--publisher async|js.publish] [--max-inflight N]';

function parseArgs(argv: string[]): TryOptions {
  const c: WriteCase = { columns: 11, writers: 1, batchRows: 100, writesPerWriter: 200, seed: 3 };
  let dir: string | undefined;
  let publisher: NatsPublisherKind = 'async';
  let maxInflight: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    const int = (): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a whole number of at least 1, got "${value}"\n${USAGE}`);
      return n;
    };
    switch (flag) {
      case '--columns': c.columns = int(); break;
      case '--writers': c.writers = int(); break;
      case '--batch': c.batchRows = int(); break;
      case '--writes': c.writesPerWriter = int(); break;
      case '--seed': c.seed = int(); break;
      case '--dir': dir = value; break;
      case '--max-inflight': maxInflight = int(); break;
      case '--publisher':
        if (!(NATS_PUBLISHER_KINDS as readonly string[]).includes(value)) throw new Error(`--publisher is one of ${NATS_PUBLISHER_KINDS.join(', ')}, got "${value}"\n${USAGE}`);
        publisher = value as NatsPublisherKind;
        break;
      default: throw new Error(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  return { c, dir, publisher, maxInflight };
}

async function main(): Promise<void> {
  const { c, dir, publisher, maxInflight } = parseArgs(process.argv.slice(2));
  if (natsServerPath() === undefined) {
    console.error('nats-server not installed: apt-get install nats-server');
    process.exitCode = 1;
    return;
  }
  const clusterDir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-nats-'));
  const cluster = await startNatsCluster({ dir: clusterDir });
  try {
    const outcome = await runNatsWriteCase(cluster, c, { publisher, ...(maxInflight !== undefined ? { maxInflightPublishes: maxInflight } : {}) });
    console.log(JSON.stringify({ case: c, publisher, maxInflight: maxInflight ?? 'default', outcome }));
  } finally {
    await cluster.stop();
    if (dir === undefined) fs.rmSync(clusterDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
