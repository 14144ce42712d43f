// `npm run sim -- --seeds N [--seed S] [--nodes K] [--groups G] [--fault-ms M]`
// Runs seeded simulations and prints what each checked; a failure prints the seed that replays it.

import { DEFAULT_SIM, SimResult, runSimulation } from './simulation.js';

function argValue(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`${name} needs a non-negative integer, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return v;
}

const seeds = argValue('--seeds') ?? 20;
const firstSeed = argValue('--seed');
const nodes = argValue('--nodes') ?? DEFAULT_SIM.nodes;
const groups = argValue('--groups') ?? DEFAULT_SIM.groups;
const faultMs = argValue('--fault-ms') ?? DEFAULT_SIM.faultMs;
if (nodes < 3 || nodes > 9) {
  console.error('--nodes must be between 3 and 9');
  process.exit(2);
}

const list = firstSeed !== undefined && process.argv.includes('--seed') && !process.argv.includes('--seeds')
  ? [firstSeed]
  : Array.from({ length: seeds }, (_, i) => (firstSeed ?? 1) + i);

const totals: Record<string, number> = {};
const faults: Record<string, number> = {};
const failures: SimResult[] = [];
const started = Date.now();
let slowestConvergenceMs = 0;
for (const seed of list) {
  const r = runSimulation({ seed, nodes, groups, faultMs, convergeWithinMs: DEFAULT_SIM.convergeWithinMs });
  for (const [k, v] of Object.entries(r.counts)) totals[k] = (totals[k] ?? 0) + v;
  for (const [k, v] of Object.entries(r.faults)) faults[k] = (faults[k] ?? 0) + v;
  if (r.convergedAfterMs !== undefined) slowestConvergenceMs = Math.max(slowestConvergenceMs, r.convergedAfterMs);
  if (!r.ok) {
    failures.push(r);
    console.log(`seed ${seed}: FAIL`);
    for (const v of r.violations) console.log(`  ${v}`);
    console.log(`  replay: npm run sim -- --seed ${seed} --nodes ${nodes} --groups ${groups} --fault-ms ${faultMs}`);
  }
}
console.log(`simulated ${list.length} seed(s) (${list[0]}..${list[list.length - 1]}), ${nodes} nodes, ${groups} groups, ${faultMs} ms of faults each, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log('checked all along: one leader per term; leader completeness; log matching; same entries applied in the same order');
console.log('  on every replica; snapshots agree with the committed log; a witness never applies; then heal and converge');
console.log(`faults injected: ${Object.entries(faults).sort().map(([k, v]) => `${k}=${v}`).join(' ')}`);
console.log(`work done: ${Object.entries(totals).filter(([k]) => !k.startsWith('mark:')).sort().map(([k, v]) => `${k}=${v}`).join(' ')}`);
console.log(`rare branches hit (coverage marks, cumulative): ${Object.entries(totals).filter(([k]) => k.startsWith('mark:')).sort().map(([k, v]) => `${k.slice(5)}=${v}`).join(' ')}`);
console.log(`slowest convergence after healing: ${slowestConvergenceMs} ms simulated`);
console.log(failures.length === 0 ? `no violation in ${list.length} seed(s)` : `${failures.length} of ${list.length} seed(s) FAILED: ${failures.map((f) => f.seed).join(', ')}`);
process.exit(failures.length === 0 ? 0 : 1);
