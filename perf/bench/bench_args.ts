// Command-line flags of npm run bench.

export interface BenchArgs {
  quick: boolean;
  columns: number[];
  writers: number[];
  batches: number[];
  /** Time budget of one case on one table kind. */
  caseSeconds: number;
  seed: number;
  json: boolean;
  peers: boolean;
  /** The subscriber and replay phases (--no-subscribers skips them). */
  subscribers: boolean;
  /** Profile the nodes (node --cpu-prof) into this directory. */
  profileDir: string | undefined;
}

const USAGE = 'usage: ha_bench [--quick] [--peers] [--columns 11,211] [--writers 1,4] [--batches 1,100,1000,10000] [--seconds S] [--seed N] [--no-json] [--no-subscribers] [--profile DIR]';

export function parseBenchArgs(argv: string[]): BenchArgs {
  const quick = argv.includes('--quick');
  const args: BenchArgs = {
    quick,
    columns: quick ? [11] : [11, 211],
    writers: [1, 4],
    batches: quick ? [1, 100, 10_000] : [1, 100, 1_000, 10_000],
    caseSeconds: quick ? 2 : 5,
    seed: 3,
    json: true,
    peers: false,
    subscribers: true,
    profileDir: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    const list = (): number[] => value().split(',').map((x) => {
      const n = Number(x);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: ${x} is not a positive integer\n${USAGE}`);
      return n;
    });
    switch (flag) {
      case '--quick': break;
      case '--peers': args.peers = true; break;
      case '--no-json': args.json = false; break;
      case '--no-subscribers': args.subscribers = false; break;
      case '--columns': args.columns = list(); break;
      case '--writers': args.writers = list(); break;
      case '--batches': args.batches = list(); break;
      case '--seconds': args.caseSeconds = Number(value()); break;
      case '--profile': args.profileDir = value(); break;
      case '--seed': args.seed = list()[0]!; break;
      default: throw new Error(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  return args;
}
