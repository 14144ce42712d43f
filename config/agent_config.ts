// agent.cfg: localSite, controllerSite and sites must be set; sites lists this agent first,
// then every controller, and controllerSite must be one of those controllers (seed 001, step 3).

import { ConfigError, WHOLE_FILE } from './config_error.js';
import type { ConfigFile } from './config_file.js';
import { resolveSettings } from './resolve_settings.js';
import { makeNodeConfig, lastGlobalEntry, requireLocalSite, type ProcessConfig } from './node_config.js';
import { siteText, type Site } from './site.js';

function sameSite(a: Site, b: Site): boolean {
  return a.host === b.host && a.port === b.port && a.alias === b.alias;
}

export function buildAgentConfig(file: ConfigFile): ProcessConfig {
  const { site } = requireLocalSite(file, '10.0.0.80:8801:agent1');
  const resolved = resolveSettings(file, site.alias);
  const { controllerSite, sites, mode } = resolved.settings;
  if (controllerSite === undefined) {
    throw new ConfigError(file.file, WHOLE_FILE, { code: 'MISSING_KEY', problem: 'controllerSite is not set', action: 'Add controllerSite=host:port:alias of the controller this agent should contact first' });
  }
  if (sites === undefined) {
    throw new ConfigError(file.file, WHOLE_FILE, { code: 'MISSING_KEY', problem: 'sites is not set', action: 'Add sites=<this agent>:agent,<each controller>:controller' });
  }
  const sitesLine = resolved.origins.get('sites')?.line ?? WHOLE_FILE;
  const [agentSite] = sites;
  if (agentSite === undefined || !sameSite(agentSite, site)) {
    throw new ConfigError(file.file, sitesLine, { code: 'BAD_VALUE', problem: `sites starts with ${agentSite === undefined ? 'nothing' : siteText(agentSite)}, not this agent ${siteText(site)}`, action: `Make ${siteText(site)}:agent the first entry of sites` });
  }
  if (!sites.some((s) => s.mode === 'controller' && sameSite(s, controllerSite))) {
    const line = resolved.origins.get('controllerSite')?.line ?? WHOLE_FILE;
    throw new ConfigError(file.file, line, { code: 'BAD_VALUE', problem: `controllerSite ${siteText(controllerSite)} is not one of the controllers in sites`, action: 'Use the localSite of one of the controllers listed in sites' });
  }
  const modeEntry = lastGlobalEntry(file, 'mode');
  if (modeEntry !== undefined && mode !== 'agent') {
    throw new ConfigError(file.file, modeEntry.line, { code: 'MODE_MISMATCH', problem: `mode is ${mode} in an agent's config`, action: 'Write mode=agent' });
  }
  return { node: makeNodeConfig(site, 'agent', resolved), warnings: file.warnings };
}
