// The stable error codes a node puts in an ERROR frame's error_code, and the NotLeader text
// convention shared with DolphinDB clients: "<NotLeader>host:port:alias", or "<NotLeader>" when the
// node knows no leader. Clients branch on the code; the text is for people (except NotLeader's).

export const WIRE_ERROR_CODES = [
  'NotLeader', // the request must go to the group's leader; error_text names it
  'AuthRequired', // the connection has not logged in; call login first
  'AuthFailed', // wrong user or password
  'BadRequest', // the frame or a field is invalid (the text says which)
  'UnknownMethod', // the method is not one this node serves
  'UnknownTable',
  'TableExists',
  'UnknownGroup', // no Raft group with that id
  'NotMember', // this node is not a member of the table's group
  'UnknownTopic',
  'SchemaMismatch', // the Arrow schema of an append does not match the table
  'BatchTooLarge', // the append exceeds the node's batch limit; split it
  'SubscriptionExists', // the table/action pair is already subscribed on this connection
  'SubscriptionsExist', // dropStreamTable on a table that still has subscribers
  'Internal', // a bug or an I/O failure on the node; the text says what
] as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

const NOT_LEADER_PREFIX = '<NotLeader>';

/** A member of the cluster as clients see it: "host:port:alias". */
export interface Site {
  host: string;
  port: number;
  alias: string;
}

export function formatSite(site: Site): string {
  return `${site.host}:${site.port}:${site.alias}`;
}

/**
 * Parses "host:port:alias". The alias and port are the last two fields, so an IPv6 host with colons
 * still parses. Returns undefined for anything else.
 */
export function parseSite(text: string): Site | undefined {
  const aliasColon = text.lastIndexOf(':');
  if (aliasColon <= 0) return undefined;
  const portColon = text.lastIndexOf(':', aliasColon - 1);
  if (portColon <= 0) return undefined;
  const host = text.slice(0, portColon);
  const portText = text.slice(portColon + 1, aliasColon);
  const alias = text.slice(aliasColon + 1);
  if (!/^[0-9]{1,5}$/.test(portText) || alias === '') return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { host, port, alias };
}

/** The error_text of a NotLeader error: "<NotLeader>host:port:alias", or "<NotLeader>" when no leader is known. */
export function notLeaderText(leaderSite: string | undefined): string {
  return NOT_LEADER_PREFIX + (leaderSite ?? '');
}

/**
 * Reads a NotLeader error_text. Returns undefined when the text is not a NotLeader text, and
 * `{ leader: undefined }` when it is but names no (parsable) leader.
 */
export function parseNotLeaderText(text: string): { leader: Site | undefined } | undefined {
  if (!text.startsWith(NOT_LEADER_PREFIX)) return undefined;
  const rest = text.slice(NOT_LEADER_PREFIX.length);
  return { leader: rest === '' ? undefined : parseSite(rest) };
}
