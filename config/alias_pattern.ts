// The alias part of a per-node line `alias.key=value`: a plain alias, or a pattern where
// `%` stands for any run of characters (even none) and `?` for exactly one, as in
// `%-datanode.volumes=/VOL1`.

import { type Outcome, success, failure } from './config_error.js';

const PATTERN_CHARS = /^[A-Za-z0-9_%?-]+$/;

export function hasWildcard(pattern: string): boolean {
  return pattern.includes('%') || pattern.includes('?');
}

export function checkAliasPattern(pattern: string): Outcome<string> {
  if (pattern === '') return failure('BAD_LINE', 'the node alias before "." is empty', 'Write alias.key=value, or drop the "." to set the key for every node');
  if (!PATTERN_CHARS.test(pattern)) {
    return failure('BAD_ALIAS', `"${pattern}" is not a node alias or alias pattern`, "Use letters, digits, '-', '_', and the wildcards '%' (any characters) and '?' (one character)");
  }
  return success(pattern);
}

/** Case sensitive, like aliases themselves; the whole alias must match. */
export function aliasMatches(pattern: string, alias: string): boolean {
  if (!hasWildcard(pattern)) return pattern === alias;
  const body = [...pattern].map((c) => (c === '%' ? '.*' : c === '?' ? '.' : escapeRegExp(c))).join('');
  return new RegExp(`^${body}$`).test(alias);
}

function escapeRegExp(c: string): string {
  return /[A-Za-z0-9_]/.test(c) ? c : `\\${c}`;
}
