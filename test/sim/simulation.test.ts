// The seeded whole-cluster simulator as part of `npm test`: a bounded number of seeds over
// several cluster shapes, replay of a seed, and proof that the checks catch a broken core.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressTracker } from '../../broker/raft/progress_tracker.js';
import { Raft } from '../../broker/raft/raft.js';
import { MemoryWalFiles } from '../../storage/wal/memory_wal_files.js';
import { DEFAULT_SIM, SimOptions, SimResult, runSimulation } from './simulation.js';

function runSeeds(first: number, count: number, shape: Partial<SimOptions> = {}): SimResult[] {
  const results: SimResult[] = [];
  for (let seed = first; seed < first + count; seed++) results.push(runSimulation({ ...DEFAULT_SIM, ...shape, seed }));
  return results;
}

function assertClean(results: SimResult[]): void {
  const failed = results.filter((r) => !r.ok);
  assert.deepEqual(
    failed.map((r) => `seed ${r.seed}: ${r.violations.join(' | ')}`),
    [],
    'replay a failing seed with: npm run sim -- --seed <seed> --nodes <n> --groups <g>',
  );
}

test('5 nodes, 3 groups: no safety violation and convergence after healing, 40 seeds', () => {
  const results = runSeeds(1, 40);
  assertClean(results);
  // The runs must actually exercise the faults and the rare paths, or a clean pass means little.
  const total = (key: string) => results.reduce((sum, r) => sum + (r.counts[key] ?? r.faults[key] ?? 0), 0);
  assert.ok(total('crashLeader') > 0 && total('partition') > 0 && total('pause') > 0, 'faults were injected');
  assert.ok(total('entriesApplied') > 1000, 'entries were applied');
  for (const rare of ['mark:snapshot-restored', 'mark:fast-backtrack-skipped-entries', 'mark:campaign-on-timeout-now',
    'mark:leader-stepped-down-check-quorum', 'mark:host-group-quiesced']) {
    assert.ok(total(rare) > 0, `rare branch ${rare} was hit`);
  }
});

test('3 nodes, 2 groups and 7 nodes, 4 groups: no violation', () => {
  assertClean(runSeeds(1000, 10, { nodes: 3, groups: 2 }));
  assertClean(runSeeds(2000, 6, { nodes: 7, groups: 4 }));
});

test('a seed replays the identical run', () => {
  const a = runSimulation({ ...DEFAULT_SIM, seed: 4242 });
  const b = runSimulation({ ...DEFAULT_SIM, seed: 4242 });
  assert.deepEqual(b, a);
  const c = runSimulation({ ...DEFAULT_SIM, seed: 4243 });
  assert.notDeepEqual(c.counts, a.counts);
});

const SAFETY = /two leaders in one term|committed entry lost|replicas applied different entries|log matching broken|snapshot disagrees|invariant broken/;

/**
 * Runs seeds with a sabotaged component until the checker names a safety violation (not merely
 * a failure to converge); restores the component after.
 */
function findViolation(sabotage: () => () => void, seeds: number): SimResult | undefined {
  const restore = sabotage();
  try {
    for (let seed = 1; seed <= seeds; seed++) {
      const r = runSimulation({ ...DEFAULT_SIM, convergeWithinMs: 2_000, seed });
      if (SAFETY.test(r.violations.join('\n'))) return r;
    }
    return undefined;
  } finally {
    restore();
  }
}

test('the simulator catches a leader that commits without a majority', () => {
  const r = findViolation(() => {
    const original = ProgressTracker.prototype.committed;
    // Broken: the highest match of any single member counts as committed.
    ProgressTracker.prototype.committed = function (this: ProgressTracker) {
      return Math.max(0, ...[...this.progress.values()].map((p) => p.match));
    };
    return () => { ProgressTracker.prototype.committed = original; };
  }, 30);
  assert.ok(r, 'some seed must expose the broken commit rule');
  assert.match(r.violations.join('\n'), /committed entry lost|replicas applied different entries|log matching broken|snapshot disagrees/);
});

test('the simulator catches a node that votes twice in one term', () => {
  const proto = Raft.prototype as unknown as { handleVoteRequest(m: unknown): void };
  const r = findViolation(() => {
    const original = proto.handleVoteRequest;
    // Broken: forget whom we voted for, so every candidate of a term gets our vote.
    proto.handleVoteRequest = function (this: Raft, m: unknown) {
      this.vote = 0;
      this.lead = 0;
      original.call(this, m);
    };
    return () => { proto.handleVoteRequest = original; };
  }, 30);
  assert.ok(r, 'some seed must expose double voting');
  assert.match(r.violations.join('\n'), /two leaders in one term|committed entry lost|replicas applied different entries/);
});

test('the simulator catches a disk that loses synced writes on a crash', () => {
  // Broken: fdatasync lies, and a crash also loses the last bytes it had acknowledged.
  const proto = MemoryWalFiles.prototype;
  const r = findViolation(() => {
    const original = proto.crash;
    proto.crash = function (this: MemoryWalFiles, randomBelow: (n: number) => number) {
      original.call(this, randomBelow);
      const newest = this.list().pop();
      if (newest) this.mutate(newest, (b) => b.subarray(0, Math.max(0, b.length - 400)));
    };
    return () => { proto.crash = original; };
  }, 30);
  assert.ok(r, 'some seed must expose lost acknowledged writes');
  assert.match(r.violations.join('\n'), /committed entry lost|replicas applied different entries|log matching broken|invariant broken/);
});
