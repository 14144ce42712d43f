// The kinds of value a config key can hold. Each kind turns the raw text after '=' into a
// typed value or a Problem; the schema (settings_schema.ts) picks one per key.

import { type Outcome, success, failure } from './config_error.js';
import { parseSite, parseSiteWithMode, parseHostPort, type Site, type SiteWithMode, type HostPort } from './site.js';

export interface ValueType<T> {
  /** How the type reads in messages and docs, e.g. "integer 1..65535". */
  readonly describe: string;
  /** `raw` is already trimmed and non-empty. */
  readonly parse: (raw: string) => Outcome<T>;
}

function rangeText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` ${min}..${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

/** "an integer >= 1", "a number >= 0": the action text of every value error. */
export function withArticle(describe: string): string {
  return `${/^[aeiou]/i.test(describe) ? 'an' : 'a'} ${describe}`;
}

function checkRange(value: number, min: number | undefined, max: number | undefined, describe: string): Outcome<number> {
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    return failure('OUT_OF_RANGE', `${value} is out of range`, `Write ${withArticle(describe)}`);
  }
  return success(value);
}

export function integer(range: { min?: number; max?: number } = {}): ValueType<number> {
  const describe = `integer${rangeText(range.min, range.max)}`;
  return {
    describe,
    parse: (raw) => {
      if (!/^[+-]?\d+$/.test(raw)) return failure('BAD_VALUE', `"${raw}" is not an integer`, `Write ${withArticle(describe)}`);
      return checkRange(Number(raw), range.min, range.max, describe);
    },
  };
}

/** A decimal number, e.g. maxMemSize=0.5 (GB). */
export function decimal(range: { min?: number; max?: number } = {}): ValueType<number> {
  const describe = `number${rangeText(range.min, range.max)}`;
  return {
    describe,
    parse: (raw) => {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(raw)) return failure('BAD_VALUE', `"${raw}" is not a number`, `Write ${withArticle(describe)}`);
      return checkRange(Number(raw), range.min, range.max, describe);
    },
  };
}

/** A whole number of seconds, e.g. streamingHAPurgeInterval=300. */
export function seconds(range: { min?: number; max?: number } = {}): ValueType<number> {
  const describe = `integer number of seconds${rangeText(range.min, range.max)}`;
  return {
    describe,
    parse: (raw) => {
      if (!/^\d+$/.test(raw)) return failure('BAD_VALUE', `"${raw}" is not a whole number of seconds`, `Write ${withArticle(describe)}`);
      return checkRange(Number(raw), range.min, range.max, describe);
    },
  };
}

// The seeds write both lanCluster=0 and enableChunkGranularityConfig=true.
export const boolean: ValueType<boolean> = {
  describe: 'boolean (0, 1, true, false)',
  parse: (raw) => {
    const lower = raw.toLowerCase();
    if (lower === '1' || lower === 'true') return success(true);
    if (lower === '0' || lower === 'false') return success(false);
    return failure('BAD_VALUE', `"${raw}" is not a boolean`, 'Use 1 or true to enable, 0 or false to disable');
  },
};

export const text: ValueType<string> = { describe: 'string', parse: (raw) => success(raw) };

/** Matched without regard to case (the seeds write both dfsHAMode=Raft and streamingHAMode=raft); yields the spelling listed here. */
export function oneOf<const T extends string>(choices: readonly T[]): ValueType<T> {
  const describe = `one of ${choices.join(', ')}`;
  return {
    describe,
    parse: (raw) => {
      const choice = choices.find((c) => c.toLowerCase() === raw.toLowerCase());
      return choice === undefined ? failure('BAD_VALUE', `"${raw}" is not allowed`, `Use ${describe}`) : success(choice);
    },
  };
}

export const absolutePath: ValueType<string> = {
  describe: 'absolute path',
  parse: (raw) =>
    raw.startsWith('/') || /^[A-Za-z]:[\\/]/.test(raw)
      ? success(raw)
      : failure('BAD_VALUE', `"${raw}" is not an absolute path`, 'Write the full path from the root, e.g. /VOL1/<ALIAS>'),
};

/** Comma separated; empty items are errors, not silently skipped. */
export function listOf<T>(item: ValueType<T>): ValueType<T[]> {
  return {
    describe: `comma separated list of ${item.describe}`,
    parse: (raw) => {
      const values: T[] = [];
      for (const part of raw.split(',').map((p) => p.trim())) {
        if (part === '') return failure('BAD_VALUE', `the list "${raw}" has an empty item`, 'Remove the extra comma');
        const parsed = item.parse(part);
        if (!parsed.ok) return parsed;
        values.push(parsed.value);
      }
      return success(values);
    },
  };
}

export const site: ValueType<Site> = { describe: 'site host:port:alias', parse: parseSite };

export const hostPort: ValueType<HostPort> = { describe: 'host:port', parse: parseHostPort };

/** agent.cfg sites=: this machine's agent first, then every controller. */
export const agentSites: ValueType<SiteWithMode[]> = {
  describe: 'comma separated host:port:alias:mode, the agent first, then the controllers',
  parse: (raw) => {
    const sites = listOf<SiteWithMode>({ describe: 'host:port:alias:mode', parse: parseSiteWithMode }).parse(raw);
    if (!sites.ok) return sites;
    const [first, ...rest] = sites.value;
    if (first?.mode !== 'agent') {
      return failure('BAD_VALUE', 'the first entry of sites is not an agent', "Put this machine's agent first, as in sites=10.0.0.80:8801:agent1:agent,10.0.0.80:8800:controller1:controller");
    }
    const other = rest.find((s) => s.mode !== 'controller');
    if (other !== undefined) {
      return failure('BAD_VALUE', `sites lists ${other.alias} as ${other.mode}; after the agent only controllers belong here`, 'List the local agent, then every controller');
    }
    return success(sites.value);
  },
};
