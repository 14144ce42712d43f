// One write case of seed 003's table: how many writers, how big a batch, how many synchronous writes each
// (every write waits for its acknowledgement before the next), and what came out.

export interface WriteCase {
  /** 11 or 211 (perf/bench/rows.ts). */
  columns: number;
  writers: number;
  batchRows: number;
  writesPerWriter: number;
  /** Seeds the row values; writer w writes rows numbered from w * writesPerWriter * batchRows. */
  seed: number;
}

export interface WriteOutcome {
  rows: number;
  elapsedMs: number;
  rowsPerSec: number;
  /** Per write: from sending the batch to its acknowledgement. */
  latencyMsP50: number;
  latencyMsP99: number;
}

/** Rows written by the whole case. */
export function rowsOf(c: WriteCase): number {
  return c.writers * c.batchRows * c.writesPerWriter;
}

/**
 * The outcome of a case, from its wall time and every write's latency (milliseconds). `rows` is what was
 * written, when a time budget stopped the writers before `writesPerWriter`.
 */
export function outcomeOf(c: WriteCase, elapsedMs: number, latenciesMs: number[], rows = rowsOf(c)): WriteOutcome {
  return {
    rows,
    elapsedMs,
    rowsPerSec: elapsedMs > 0 ? (rows * 1000) / elapsedMs : 0,
    latencyMsP50: percentile(latenciesMs, 0.5),
    latencyMsP99: percentile(latenciesMs, 0.99),
  };
}

/** The q-quantile (0..1) by nearest rank; 0 for no samples. */
export function percentile(samples: number[], q: number): number {
  if (samples.length === 0) return 0;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}
