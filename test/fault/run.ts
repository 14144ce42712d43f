// `npm run fault -- --minutes M --seed S [--nodes 3|5]`: a longer fault run than npm test's. Prints the
// operations done, the faults injected and the checker's verdict per anomaly; exit 1 (with the seed to
// replay) when any anomaly was found.

import { formatVerdict } from './checker.js';
import { runFaults } from './fault_run.js';
import { summarize } from './run_summary.js';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<number> {
  const minutes = Number(flag(args, '--minutes') ?? 2);
  const seed = Number(flag(args, '--seed') ?? Math.floor(Math.random() * 2 ** 31));
  const nodes = Number(flag(args, '--nodes') ?? 3);
  if (!(minutes > 0) || !Number.isInteger(seed) || (nodes !== 3 && nodes !== 5)) {
    console.error('usage: npm run fault -- [--minutes M (> 0, default 2)] [--seed S (integer)] [--nodes 3|5]');
    return 2;
  }
  console.log(`fault run: ${minutes} min of faults on ${nodes} nodes, seed ${seed}`);
  const result = await runFaults({ nodes, seed, faultMs: minutes * 60_000, log: (l) => console.log(l) });
  console.log(summarize(result));
  console.log(formatVerdict(result.verdict));
  if (!result.verdict.ok) {
    console.log(`FAILED: replay the plan with npm run fault -- --minutes ${minutes} --seed ${seed} --nodes ${nodes}`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  console.error(`fault run failed to run: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
