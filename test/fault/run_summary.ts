// The human summary of a fault run: operations by outcome, rows acknowledged and delivered, faults.

import type { FaultRunResult } from './fault_run.js';

export function summarize(r: FaultRunResult): string {
  const h = r.history;
  const by = (o: string) => h.appends.filter((a) => a.outcome === o).length;
  const rowsAcked = h.appends.filter((a) => a.outcome === 'ok').reduce((n, a) => n + (a.rowsWritten ?? 0), 0);
  const repeats = h.appends.filter((a) => a.repeated).length;
  const faults = h.faults.filter((f) => !f.what.startsWith('healed'));
  const lines = [
    `operations: ${h.appends.length} appends (${by('ok')} ok, ${by('fail')} failed, ${by('unknown')} unknown), ${rowsAcked} rows acknowledged, ${repeats} answered as repeats`,
    `tables: ${h.tables.length}; subscribers: ${h.subscribers.length}, ${h.deliveries.length} rows delivered; replicas read: ${h.finalReads.length}`,
    `faults injected: ${faults.length}`,
    ...faults.map((f) => `  ${(f.atMs / 1000).toFixed(1)}s ${f.what}`),
  ];
  if (r.skipped.length > 0) lines.push(`faults skipped: ${r.skipped.length}`, ...r.skipped.map((s) => `  ${s}`));
  return lines.join('\n');
}
