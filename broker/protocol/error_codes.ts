// The stable error codes a node puts in an ERROR frame's error_code, and the NotLeader text
// convention shared with DolphinDB clients: "<NotLeader>host:port:alias", or "<NotLeader>" when the
// node knows no leader. Clients branch on the code; the text is for people (except NotLeader's).

import { parseSite as parseConfigSite, siteText, type Site } from '../../config/site.js';

export type { Site } from '../../config/site.js';

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
  'LeaderChanged', // a new leader overwrote the write before it committed: not applied, safe to retry
  'Timeout', // no outcome within the node's deadline: the write may or may not be applied
  'SequenceTooOld', // an append's producer sequence is below the table's window for that producer: not applied
  'Busy', // a queue of the node is over its limit: retry shortly
  'Unavailable', // the node is stopping or failed: use another member
  'Internal', // a bug or an I/O failure on the node; the text says what
] as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

const NOT_LEADER_PREFIX = '<NotLeader>';

/**
 * Parses "host:port:alias" with the grammar of the cluster configuration (config/site.ts), since every
 * site on the wire is some node's localSite. Undefined for anything else.
 */
export function parseSite(text: string): Site | undefined {
  const parsed = parseConfigSite(text);
  return parsed.ok ? parsed.value : undefined;
}

/** "host:port:alias"; the same as config/site.ts siteText, under the name clients import. */
export const formatSite = siteText;

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
