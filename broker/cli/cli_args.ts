// Command-line arguments of the client commands, parsed by a small pure parser: `--name value`,
// `--name=value` and boolean `--name`. Node's util.parseArgs takes `--from -2` for a missing value, and
// negative offsets are a normal thing to type here, so the value after a value flag is always its value.

import { CliError } from './cli_errors.js';
import { CsvReader } from './csv_rows.js';

export type FlagKind = 'string' | 'boolean';

export interface CommandSpec {
  /** The command name, for messages ("tail"). */
  name: string;
  /** Names of the positional arguments, all required ("table"). */
  positionals: string[];
  /** Flags by name without the dashes. */
  flags: Record<string, FlagKind>;
}

export interface ParsedArgs {
  positionals: string[];
  values: ReadonlyMap<string, string>;
  switches: ReadonlySet<string>;
}

function usage(text: string): CliError {
  return new CliError('USAGE', text);
}

export function parseArgs(args: readonly string[], spec: CommandSpec): ParsedArgs {
  const positionals: string[] = [];
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const known = () => Object.keys(spec.flags).map((f) => `--${f}`).join(', ');
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = spec.flags[name];
    if (kind === undefined) throw usage(`unknown flag --${name}; it takes ${known() || 'no flags'}`);
    if (values.has(name) || switches.has(name)) throw usage(`--${name} is given twice`);
    if (kind === 'boolean') {
      if (eq >= 0) throw usage(`--${name} is a switch and takes no value`);
      switches.add(name);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw usage(`--${name} needs a value`);
    values.set(name, value);
  }
  if (positionals.length < spec.positionals.length) {
    throw usage(`missing <${spec.positionals[positionals.length]}>`);
  }
  if (positionals.length > spec.positionals.length) {
    throw usage(`unexpected argument "${positionals[spec.positionals.length]}"`);
  }
  return { positionals, values, switches };
}

/** An integer flag within [min, max]; `fallback` when absent. */
export function intFlag(parsed: ParsedArgs, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = parsed.values.get(name);
  if (raw === undefined) return fallback;
  const n = /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError('USAGE', `--${name} needs an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`}, got "${raw}"`);
  }
  return n;
}

/** A flag that takes one of `choices`; `fallback` when absent. */
export function choiceFlag<T extends string>(parsed: ParsedArgs, name: string, choices: readonly T[], fallback: T): T {
  const raw = parsed.values.get(name);
  if (raw === undefined) return fallback;
  const found = choices.find((c) => c === raw.toLowerCase());
  if (found === undefined) throw new CliError('USAGE', `--${name} is one of ${choices.join(', ')}, got "${raw}"`);
  return found;
}

/**
 * --filter v1,v2: the values a subscription keeps, written as CSV fields. The node converts each one
 * to the filter column's type, which the client cannot see, so the text decides the kind: a number is
 * sent as a number, true/false as a boolean, anything else -- or any "quoted" field -- as a string.
 */
export function filterValues(text: string): Array<string | number | boolean> {
  const reader = new CsvReader();
  const record = [...reader.push(text), reader.end()].find((r) => r !== undefined);
  if (record === undefined) throw new CliError('USAGE', '--filter needs at least one value');
  return record.fields.map(({ text: t, quoted }) => {
    if (quoted) return t;
    if (t === 'true' || t === 'false') return t === 'true';
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
    return t;
  });
}
