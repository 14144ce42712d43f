// The typed configuration one process runs with: who it is, plus its resolved settings.

import { ConfigError, WHOLE_FILE, type ConfigWarning } from './config_error.js';
import { checkValue } from './config_file.js';
import type { ResolvedSettings } from './resolve_settings.js';
import type { SettingValues } from './settings_schema.js';
import type { NodeMode, Site } from './site.js';
import type { ConfigFile, ConfigEntry } from './config_file.js';

export interface NodeConfig extends ResolvedSettings {
  readonly alias: string;
  readonly mode: NodeMode;
  readonly site: Site;
}

/** Identity wins over whatever the file says, so settings.localSite and settings.mode always agree with it. */
export function makeNodeConfig(identity: Site, mode: NodeMode, resolved: ResolvedSettings): NodeConfig {
  // Copy only the Site fields: a ClusterNode passed in also carries its mode and line.
  const site: Site = { host: identity.host, port: identity.port, alias: identity.alias };
  const settings: SettingValues = { ...resolved.settings, localSite: site, mode };
  return { alias: site.alias, mode, site, settings, unknownSettings: resolved.unknownSettings, origins: resolved.origins };
}

/** The last line that sets `key` for every node (no alias part). */
export function lastGlobalEntry(file: ConfigFile, key: string): ConfigEntry | undefined {
  return file.entries.filter((e) => e.aliasPattern === undefined && e.key === key).at(-1);
}

export interface ProcessConfig {
  readonly node: NodeConfig;
  readonly warnings: readonly ConfigWarning[];
}

/** localSite must be set for every node (no alias part); it names the node that reads the file. */
export function requireLocalSite(file: ConfigFile, exampleSite: string): { site: Site; line: number } {
  const entry = lastGlobalEntry(file, 'localSite');
  if (entry === undefined) {
    throw new ConfigError(file.file, WHOLE_FILE, { code: 'MISSING_KEY', problem: 'localSite is not set', action: `Add a line localSite=host:port:alias, e.g. localSite=${exampleSite}` });
  }
  const parsed = checkValue('localSite', entry.rawValue);
  if (!parsed.ok) throw new ConfigError(file.file, entry.line, parsed.why);
  return { site: parsed.value as Site, line: entry.line };
}
