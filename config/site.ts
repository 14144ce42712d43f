// A node's address and name, `host:port:alias`, as written in cluster.nodes, localSite,
// controllerSite and sites. Aliases are case sensitive.

import { type Outcome, success, failure } from './config_error.js';

export const NODE_MODES = ['controller', 'agent', 'datanode', 'computenode'] as const;
export type NodeMode = (typeof NODE_MODES)[number];

export interface Site {
  readonly host: string;
  readonly port: number;
  readonly alias: string;
}

export interface SiteWithMode extends Site {
  readonly mode: NodeMode;
}

/** Host and port without an alias, as in clusterReplicationMasterCtl=10.0.0.1:8848. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

// Aliases become directory names and sit between ':' ',' '.' separators, and '%' '?' are wildcards.
const ALIAS_PATTERN = /^[A-Za-z0-9_-]+$/;
const HOST_PATTERN = /^[A-Za-z0-9._-]+$/;
const MAX_PORT = 65535;

export function siteText(site: Site): string {
  return `${site.host}:${site.port}:${site.alias}`;
}

export function checkAlias(alias: string): Outcome<string> {
  if (alias === '') return failure('BAD_ALIAS', 'the alias is empty', 'Give every node a name, as in 10.0.0.80:8802:datanode1');
  if (!ALIAS_PATTERN.test(alias)) {
    return failure('BAD_ALIAS', `the alias "${alias}" has characters other than letters, digits, '-' and '_'`, 'Rename the node using only those characters');
  }
  return success(alias);
}

export function parseHost(host: string): Outcome<string> {
  if (host === '') return failure('BAD_HOST', 'the host is empty', 'Write the IP address or host name before the first ":"');
  if (!HOST_PATTERN.test(host)) {
    return failure('BAD_HOST', `"${host}" is not an IP address or host name`, 'Write an IPv4 address or a host name (letters, digits, ".", "-", "_")');
  }
  return success(host);
}

export function parsePort(text: string): Outcome<number> {
  if (!/^\d+$/.test(text)) return failure('BAD_PORT', `the port "${text}" is not a number`, `Write a port number between 1 and ${MAX_PORT}`);
  const port = Number(text);
  if (port < 1 || port > MAX_PORT) return failure('BAD_PORT', `the port ${port} is out of range`, `Write a port number between 1 and ${MAX_PORT}`);
  return success(port);
}

export function parseHostPort(text: string): Outcome<HostPort> {
  const parts = text.split(':');
  if (parts.length !== 2) return failure('BAD_SITE', `"${text}" is not host:port`, 'Write it as host:port, e.g. 10.0.0.1:8848');
  const [hostText = '', portText = ''] = parts.map((p) => p.trim());
  const host = parseHost(hostText);
  if (!host.ok) return host;
  const port = parsePort(portText);
  if (!port.ok) return port;
  return success({ host: host.value, port: port.value });
}

export function parseSite(text: string): Outcome<Site> {
  const parts = text.split(':');
  if (parts.length !== 3) {
    return failure('BAD_SITE', `"${text}" is not host:port:alias`, 'Write the site as host:port:alias, e.g. 10.0.0.80:8802:datanode1');
  }
  const [hostText = '', portText = '', aliasText = ''] = parts.map((p) => p.trim());
  const host = parseHost(hostText);
  if (!host.ok) return host;
  const port = parsePort(portText);
  if (!port.ok) return port;
  const alias = checkAlias(aliasText);
  if (!alias.ok) return alias;
  return success({ host: host.value, port: port.value, alias: alias.value });
}

export function parseMode(text: string): Outcome<NodeMode> {
  const mode = NODE_MODES.find((m) => m === text.trim().toLowerCase());
  if (mode === undefined) {
    return failure('UNKNOWN_MODE', `"${text}" is not a node mode`, `Use one of ${NODE_MODES.join(', ')}`);
  }
  return success(mode);
}

/** `host:port:alias:mode`, one entry of the sites= list in agent.cfg. */
export function parseSiteWithMode(text: string): Outcome<SiteWithMode> {
  const cut = text.lastIndexOf(':');
  if (cut < 0 || text.split(':').length !== 4) {
    return failure('BAD_SITE', `"${text}" is not host:port:alias:mode`, 'Write each entry as host:port:alias:mode, e.g. 10.0.0.80:8800:controller1:controller');
  }
  const site = parseSite(text.slice(0, cut));
  if (!site.ok) return site;
  const mode = parseMode(text.slice(cut + 1));
  if (!mode.ok) return mode;
  return success({ ...site.value, mode: mode.value });
}
