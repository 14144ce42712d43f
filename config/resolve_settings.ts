// The effective settings of one node from one config file.
//
// Override rule, for each key:
//   1. a line naming the node exactly      (datanode1.volumes=/a)
//   2. beats a line with a wildcard alias  (%-datanode.volumes=/b)
//   3. beats a line for every node         (volumes=/c)
//   4. beats the schema default.
// Within one of those tiers the later line wins (parseConfigFile warns about repeats).
// `<ALIAS>` in the winning value is then replaced by the node's alias, and the value parsed.

import { ConfigError, throwIfAny } from './config_error.js';
import { aliasMatches, hasWildcard } from './alias_pattern.js';
import { checkValue, substituteAlias, type ConfigEntry, type ConfigFile } from './config_file.js';
import { defaultSettings, isSettingKey, type SettingKey, type SettingValues } from './settings_schema.js';

export interface SettingOrigin {
  readonly file: string;
  readonly line: number;
  /** As written, e.g. "%-datanode.volumes"; lets an operator see why a value applies. */
  readonly writtenAs: string;
}

export interface ResolvedSettings {
  readonly settings: SettingValues;
  /** Keys Shoal does not know, with `<ALIAS>` substituted; kept, never dropped. */
  readonly unknownSettings: ReadonlyMap<string, string>;
  /** Where each key that was set came from; keys left at their default are absent. */
  readonly origins: ReadonlyMap<string, SettingOrigin>;
}

type Tier = 0 | 1 | 2;

function tierOf(entry: ConfigEntry): Tier {
  if (entry.aliasPattern === undefined) return 0;
  return hasWildcard(entry.aliasPattern) ? 1 : 2;
}

/** The winning line for each key that applies to `alias`. */
export function winningEntries(file: ConfigFile, alias: string): Map<string, ConfigEntry> {
  const winners = new Map<string, ConfigEntry>();
  for (const entry of file.entries) {
    if (entry.aliasPattern !== undefined && !aliasMatches(entry.aliasPattern, alias)) continue;
    const current = winners.get(entry.key);
    // Entries are in line order, so ">=" lets a later line of the same tier win.
    if (current === undefined || tierOf(entry) >= tierOf(current)) winners.set(entry.key, entry);
  }
  return winners;
}

export function resolveSettings(file: ConfigFile, alias: string): ResolvedSettings {
  const values = defaultSettings();
  const unknownSettings = new Map<string, string>();
  const origins = new Map<string, SettingOrigin>();
  const errors: ConfigError[] = [];
  for (const [key, entry] of winningEntries(file, alias)) {
    const value = substituteAlias(entry.rawValue, alias);
    const writtenAs = entry.aliasPattern === undefined ? key : `${entry.aliasPattern}.${key}`;
    origins.set(key, { file: file.file, line: entry.line, writtenAs });
    if (!isSettingKey(key)) {
      unknownSettings.set(key, value);
      continue;
    }
    const parsed = checkValue(key, value);
    if (!parsed.ok) {
      errors.push(new ConfigError(file.file, entry.line, { ...parsed.why, problem: `for node ${alias}, ${parsed.why.problem}` }));
      continue;
    }
    values[key as SettingKey] = parsed.value;
  }
  throwIfAny(errors);
  return { settings: values as SettingValues, unknownSettings, origins };
}
