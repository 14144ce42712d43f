// What `shoal status` and `shoal leader` conclude from the nodes' answers, and how status prints it.
// Pure: the answers come in, text and decisions go out.

import { formatTextTable } from './text_table.js';

/** One group as a node's getStreamingStat reports it. */
export interface GroupState {
  id: number;
  role: string;
  term: number;
  leader: string;
}

/** The groups of a getStreamingStat reply; [] when it does not have the shape this reads (it is not a stable API). */
export function groupStatesOfStat(stat: Record<string, unknown>): GroupState[] {
  const groups = stat['groups'];
  if (!Array.isArray(groups)) return [];
  const out: GroupState[] = [];
  for (const g of groups as unknown[]) {
    if (g === null || typeof g !== 'object') continue;
    const { id, role, term, leader } = g as Record<string, unknown>;
    if (typeof id !== 'number' || typeof term !== 'number') continue;
    out.push({ id, role: typeof role === 'string' ? role : '?', term, leader: typeof leader === 'string' ? leader : '' });
  }
  return out;
}

/** A member's view of who leads its group: the leader it names ('' for none) and its term when known. */
export interface LeaderAnswer {
  leader: string;
  term: number | undefined;
}

/**
 * The leader to believe: among the answers naming one, the one of the highest term (a node cut off
 * from the group may still name the leader of an older term). '' when no answer names a leader.
 */
export function pickLeader(answers: readonly LeaderAnswer[]): LeaderAnswer {
  let best: LeaderAnswer = { leader: '', term: undefined };
  for (const a of answers) {
    if (a.leader === '') continue;
    if (best.leader === '' || (a.term ?? -1) > (best.term ?? -1)) best = a;
  }
  return best;
}

export interface NodeStatus {
  label: string;
  up: boolean;
  /** Up: its role in each group; down: why it did not answer. */
  detail: string;
}

export interface GroupStatus {
  id: number;
  members: string[];
  leader: string;
  term: number | undefined;
}

/** "127.0.0.1:8902:datanode1" -> "datanode1"; a site without an alias stays whole. */
function aliasOf(site: string): string {
  const parts = site.split(':');
  return parts.length === 3 && parts[2] ? parts[2] : site;
}

export function formatStatus(nodes: readonly NodeStatus[], groups: readonly GroupStatus[], tableCount: number | undefined): string {
  const up = nodes.filter((n) => n.up).length;
  const nodeTable = formatTextTable(['NODE', 'STATE', 'DETAIL'], nodes.map((n) => [n.label, n.up ? 'up' : 'down', n.detail]));
  const groupTable = formatTextTable(['GROUP', 'MEMBERS', 'LEADER', 'TERM'], groups.map((g) => [
    String(g.id), g.members.map(aliasOf).join(','), g.leader === '' ? '(none)' : g.leader, g.term === undefined ? '-' : String(g.term),
  ]));
  return [
    `data nodes: ${up} of ${nodes.length} up`,
    indent(nodeTable),
    '',
    `raft groups: ${groups.length}`,
    ...(groups.length === 0 ? [] : [indent(groupTable)]),
    '',
    `stream tables: ${tableCount === undefined ? 'unknown (no node answered)' : tableCount}`,
  ].join('\n');
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}
