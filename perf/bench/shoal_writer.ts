// Synchronous appends into a Shoal table: each writer has its own client and waits for a batch's
// acknowledgement before sending the next, as seed 003's writers do. The batches are made before the
// clock starts (a small pool per writer, reused: the table has no key, so a repeated batch is written
// again like any other); encoding them to Arrow is the client's work and is timed.

import { performance } from 'node:perf_hooks';
import type { ShoalClient } from '../../clients/index.js';
import { BenchColumns, benchColumns, benchSchema } from './rows.js';
import { WriteCase, WriteOutcome, outcomeOf } from './write_case.js';

/** At most this many values (rows x columns) of prepared batches per writer. */
const POOL_VALUES_MAX = 4_000_000;
const POOL_BATCHES_MAX = 8;

export interface TimedWriteOutcome extends WriteOutcome {
  /** Writes each writer made: `writesPerWriter`, or fewer when the time budget ran out. */
  writesPerWriter: number;
}

/** Each writer's pool of distinct batches, made before timing. */
export function prepareBatches(c: WriteCase): BenchColumns[][] {
  const schema = benchSchema(c.columns);
  const poolSize = Math.max(1, Math.min(POOL_BATCHES_MAX, c.writesPerWriter, Math.floor(POOL_VALUES_MAX / (c.batchRows * c.columns))));
  return Array.from({ length: c.writers }, (_, w) =>
    Array.from({ length: poolSize }, (_, b) => benchColumns(schema, c.batchRows, (w * POOL_BATCHES_MAX + b) * c.batchRows, c.seed)));
}

/**
 * Runs case `c` into `tableName`, writer w on `clients[w]`. Writers stop starting writes when
 * `timeBudgetMs` has passed (they all check the same deadline), so a slow case stays bounded; the
 * outcome counts the rows actually written.
 */
export async function runShoalWriteCase(clients: ShoalClient[], tableName: string, c: WriteCase, batches: BenchColumns[][], timeBudgetMs: number): Promise<TimedWriteOutcome> {
  if (clients.length < c.writers) throw new RangeError(`${c.writers} writers need ${c.writers} clients, got ${clients.length}`);
  const latencies: number[] = [];
  const writesDone = new Array<number>(c.writers).fill(0);
  const started = performance.now();
  const deadline = started + timeBudgetMs;
  await Promise.all(Array.from({ length: c.writers }, async (_, w) => {
    const pool = batches[w]!;
    for (let i = 0; i < c.writesPerWriter && performance.now() < deadline; i++) {
      const t0 = performance.now();
      const result = await clients[w]!.append(tableName, pool[i % pool.length]!);
      latencies.push(performance.now() - t0);
      if (result.rowsWritten !== c.batchRows) throw new Error(`${tableName}: wrote ${result.rowsWritten} of ${c.batchRows} rows`);
      writesDone[w]!++;
    }
  }));
  const elapsedMs = performance.now() - started;
  const rows = writesDone.reduce((a, b) => a + b, 0) * c.batchRows;
  return { ...outcomeOf(c, elapsedMs, latencies, rows), writesPerWriter: Math.round(writesDone.reduce((a, b) => a + b, 0) / c.writers) };
}
