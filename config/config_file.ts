// controller.cfg, agent.cfg, cluster.cfg: one `key=value` per line, `#` comment lines, blank
// lines; whitespace around lines, keys and values is ignored. `alias.key=value` sets a key for
// the nodes whose alias matches (`%` and `?` are wildcards). Values may contain `<ALIAS>`.
// A `#` later in a line is part of the value (a password may contain one).
//
// Every value of a known key is checked here, with `<ALIAS>` standing for a sample alias, so a
// typo is reported with its line even if no node ends up using it. All bad lines are reported
// together. Unknown keys are kept as raw text and reported as warnings.

import { ConfigError, throwIfAny, type ConfigWarning, type Outcome, success, failure } from './config_error.js';
import { sourceLines, isBlankOrComment } from './source_lines.js';
import { checkAliasPattern } from './alias_pattern.js';
import { isSettingKey, settingFor, knownKeyIgnoringCase } from './settings_schema.js';
import { withArticle } from './value_types.js';

export interface ConfigEntry {
  readonly line: number;
  /** Undefined for a line that applies to every node. */
  readonly aliasPattern: string | undefined;
  readonly key: string;
  /** Trimmed, `<ALIAS>` not yet substituted. */
  readonly rawValue: string;
}

export interface ConfigFile {
  readonly file: string;
  readonly entries: readonly ConfigEntry[];
  readonly warnings: readonly ConfigWarning[];
}

export const ALIAS_PLACEHOLDER = '<ALIAS>';
const SAMPLE_ALIAS = 'ALIAS';

export function substituteAlias(rawValue: string, alias: string): string {
  return rawValue.split(ALIAS_PLACEHOLDER).join(alias);
}

export function parseConfigFile(text: string, file: string): ConfigFile {
  const errors: ConfigError[] = [];
  const warnings: ConfigWarning[] = [];
  const entries: ConfigEntry[] = [];
  const seen = new Map<string, number>();
  for (const line of sourceLines(text)) {
    if (isBlankOrComment(line)) continue;
    const entry = parseEntry(line.text, line.number);
    if (!entry.ok) {
      errors.push(new ConfigError(file, line.number, entry.why));
      continue;
    }
    const { aliasPattern, key, rawValue } = entry.value;
    if (isSettingKey(key)) {
      const checked = checkValue(key, substituteAlias(rawValue, SAMPLE_ALIAS));
      if (!checked.ok) {
        errors.push(new ConfigError(file, line.number, checked.why));
        continue;
      }
    } else {
      const meant = knownKeyIgnoringCase(key);
      const hint = meant === undefined ? 'kept as text; no part of Shoal reads it yet' : `did you mean ${meant}? Keys are case sensitive`;
      warnings.push({ code: 'UNKNOWN_KEY', file, line: line.number, message: `unknown key ${key}: ${hint}` });
    }
    const target = aliasPattern === undefined ? key : `${aliasPattern}.${key}`;
    const earlier = seen.get(target);
    if (earlier !== undefined) {
      warnings.push({ code: 'REPEATED_KEY', file, line: line.number, message: `${target} is also set on line ${earlier}; this later line wins` });
    }
    seen.set(target, line.number);
    entries.push(entry.value);
  }
  throwIfAny(errors);
  return { file, entries, warnings };
}

function parseEntry(lineText: string, line: number): Outcome<ConfigEntry> {
  const eq = lineText.indexOf('=');
  if (eq < 0) return failure('BAD_LINE', `"${lineText}" is not key=value`, 'Write key=value, alias.key=value, or start the line with # to make it a comment');
  const target = lineText.slice(0, eq).trim();
  const rawValue = lineText.slice(eq + 1).trim();
  if (target === '') return failure('BAD_LINE', `"${lineText}" has no key before "="`, 'Write key=value');
  if (/\s/.test(target)) return failure('BAD_LINE', `the key "${target}" contains whitespace`, 'Write the key as one word, e.g. maxMemSize=32');
  // Keys never contain '.', so the last '.' separates the alias part from the key.
  const dot = target.lastIndexOf('.');
  const key = target.slice(dot + 1);
  if (key === '') return failure('BAD_LINE', `"${target}" has no key after "."`, 'Write alias.key=value, e.g. datanode1.publicName=19.56.128.21');
  if (dot < 0) return success({ line, aliasPattern: undefined, key, rawValue });
  const pattern = checkAliasPattern(target.slice(0, dot));
  if (!pattern.ok) return pattern;
  return success({ line, aliasPattern: pattern.value, key, rawValue });
}

/** Parses the value of a known key; an empty value is an error rather than a silent default. */
export function checkValue(key: string, value: string): Outcome<unknown> {
  if (!isSettingKey(key)) return success(value);
  const setting = settingFor(key);
  if (value === '') return failure('BAD_VALUE', `${key} has no value`, `Write ${withArticle(setting.type.describe)}, or delete the line to use the default`);
  const parsed = setting.type.parse(value);
  if (parsed.ok) return parsed;
  // Say which key was wrong; the value parsers only see the value.
  const shown = setting.secret ? 'the value is not valid (not shown, it is secret)' : parsed.why.problem;
  return failure(parsed.why.code, `${key}: ${shown}`, parsed.why.action);
}
