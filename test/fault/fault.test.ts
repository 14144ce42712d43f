// npm test's share of the fault suite: about two minutes of seeded faults on real processes, a 3-node
// and a 5-node cluster, each ending healed, with the checker's verdict required clean. Longer and other
// seeds: npm run fault -- --minutes M --seed S --nodes 3|5. SHOAL_FAULT_SEED replays a seed here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatVerdict } from './checker.js';
import { runFaults } from './fault_run.js';
import { summarize } from './run_summary.js';

const seedFromEnv = process.env['SHOAL_FAULT_SEED'] === undefined ? undefined : Number(process.env['SHOAL_FAULT_SEED']);

// KNOWN BUG (docs/testing.md, "Open"): after a full disk on a follower and its restart, that replica
// can stay behind for good in one table (replica-divergence; seed 20261122 failed 2 of 4 runs). Until
// it is fixed the full disk runs as a TODO test, reported by the runner, while the runs that gate CI
// leave it out of their menu.
const runs = [
  { nodes: 3 as const, seed: seedFromEnv ?? 20261122, faultMs: 65_000, diskFaults: false, todo: undefined },
  { nodes: 5 as const, seed: seedFromEnv ?? 5151, faultMs: 55_000, diskFaults: false, todo: undefined },
  { nodes: 3 as const, seed: seedFromEnv ?? 20261122, faultMs: 65_000, diskFaults: true, todo: 'known bug: a follower restarted after a full disk can stay behind (docs/testing.md, Open)' },
];
for (const run of runs) {
  const what = run.diskFaults ? 'with full disks' : 'without full disks';
  test(`${run.nodes} nodes, ${run.faultMs / 1000} s of faults ${what} (seed ${run.seed}): no anomaly, every group writable after healing`, { timeout: run.faultMs + 240_000, ...(run.todo ? { todo: run.todo } : {}) }, async (t) => {
    const lines: string[] = [];
    const result = await runFaults({ ...run, log: (l) => lines.push(l) });
    t.diagnostic(lines.join('\n'));
    t.diagnostic(summarize(result));
    const verdict = formatVerdict(result.verdict);
    t.diagnostic(verdict);
    const h = result.history;
    assert.ok(h.appends.some((a) => a.outcome === 'ok'), 'the workload wrote something');
    assert.ok(h.faults.some((f) => !f.what.startsWith('healed') && f.what !== 'created a table'), 'at least one fault was injected');
    assert.ok(result.verdict.ok, `anomalies (replay with SHOAL_FAULT_SEED=${run.seed} or npm run fault -- --seed ${run.seed} --nodes ${run.nodes}):\n${verdict}`);
  });
}
