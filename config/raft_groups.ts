// streamingRaftGroups=2:DataNode1:DataNode3:DataNode5,3:DataNode2:DataNode4:DataNode6
// Each group is `id:alias:alias:...`; the id is an integer greater than 1 and a group has at
// least 3 data nodes. A data node may belong to several groups.

import { type Outcome, success, failure } from './config_error.js';
import { checkAlias } from './site.js';
import type { ClusterNodes } from './cluster_nodes.js';

export interface StreamingRaftGroup {
  readonly id: number;
  /** Data node aliases, in the order written. */
  readonly members: readonly string[];
}

export const MIN_RAFT_GROUP_ID = 2;
export const MIN_RAFT_GROUP_MEMBERS = 3;

const FORMAT_HINT = 'Write groups as id:alias:alias:alias separated by commas, e.g. 2:DataNode1:DataNode3:DataNode5,3:DataNode2:DataNode4:DataNode6';

export function parseStreamingRaftGroups(text: string): Outcome<StreamingRaftGroup[]> {
  const groups: StreamingRaftGroup[] = [];
  for (const groupText of text.split(',').map((g) => g.trim())) {
    const group = parseGroup(groupText);
    if (!group.ok) return group;
    if (groups.some((g) => g.id === group.value.id)) {
      return failure('DUPLICATE_GROUP_ID', `Raft group id ${group.value.id} is defined twice`, 'Give each streaming Raft group its own id, or merge the two definitions');
    }
    groups.push(group.value);
  }
  return success(groups);
}

function parseGroup(text: string): Outcome<StreamingRaftGroup> {
  if (text === '') return failure('BAD_RAFT_GROUP', 'a Raft group is empty (two commas in a row, or a trailing comma)', FORMAT_HINT);
  const [idText = '', ...memberTexts] = text.split(':').map((p) => p.trim());
  if (!/^\d+$/.test(idText)) return failure('BAD_RAFT_GROUP', `the Raft group id "${idText}" in "${text}" is not an integer`, FORMAT_HINT);
  const id = Number(idText);
  if (id < MIN_RAFT_GROUP_ID) {
    return failure('BAD_RAFT_GROUP', `Raft group id ${id} in "${text}" is too small; a streaming Raft group id is an integer greater than 1`, `Use ${MIN_RAFT_GROUP_ID} or more`);
  }
  if (memberTexts.length < MIN_RAFT_GROUP_MEMBERS) {
    return failure('BAD_RAFT_GROUP', `Raft group ${id} has ${memberTexts.length} data node(s); a group needs at least ${MIN_RAFT_GROUP_MEMBERS}`, 'List at least 3 data nodes so the group survives one failure');
  }
  const members: string[] = [];
  for (const memberText of memberTexts) {
    const alias = checkAlias(memberText);
    if (!alias.ok) return failure('BAD_RAFT_GROUP', `Raft group ${id}: ${alias.why.problem}`, alias.why.action);
    if (members.includes(alias.value)) {
      return failure('BAD_RAFT_GROUP', `Raft group ${id} lists ${alias.value} twice`, 'List each data node once per group; a replica on the same node protects nothing');
    }
    members.push(alias.value);
  }
  return success({ id, members });
}

/** Cross-file check: every member must be a data node of cluster.nodes. */
export function checkRaftGroupMembers(groups: readonly StreamingRaftGroup[], nodes: ClusterNodes): Outcome<readonly StreamingRaftGroup[]> {
  for (const group of groups) {
    for (const member of group.members) {
      const node = nodes.byAlias.get(member);
      if (node === undefined) {
        return failure('RAFT_MEMBER_NOT_DATANODE', `Raft group ${group.id} lists ${member}, which is not in ${nodes.file} (aliases are case sensitive)`, `Add ${member} to ${nodes.file} as a datanode, or fix the alias`);
      }
      if (node.mode !== 'datanode') {
        return failure('RAFT_MEMBER_NOT_DATANODE', `Raft group ${group.id} lists ${member}, which is a ${node.mode} (${nodes.file}:${node.line}); only data nodes host streaming Raft groups`, 'Replace it with a data node alias');
      }
    }
  }
  return success(groups);
}
