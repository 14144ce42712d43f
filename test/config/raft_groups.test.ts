import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStreamingRaftGroups, checkRaftGroupMembers } from '../../config/raft_groups.js';
import { parseClusterNodes } from '../../config/cluster_nodes.js';

const SEED_003_GROUPS = '2:DataNode1:DataNode3:DataNode5,3:DataNode2:DataNode4:DataNode6';

function problemOf(text: string): { code: string; problem: string } {
  const parsed = parseStreamingRaftGroups(text);
  assert.equal(parsed.ok, false, `expected ${text} to be rejected`);
  return parsed.ok ? { code: '', problem: '' } : parsed.why;
}

test('seed 003: two groups of three data nodes', () => {
  const parsed = parseStreamingRaftGroups(SEED_003_GROUPS);
  assert.deepEqual(parsed, {
    ok: true,
    value: [
      { id: 2, members: ['DataNode1', 'DataNode3', 'DataNode5'] },
      { id: 3, members: ['DataNode2', 'DataNode4', 'DataNode6'] },
    ],
  });
});

test('a data node may sit in several groups; groups may have more than 3 members', () => {
  const parsed = parseStreamingRaftGroups('2:a:b:c,7:a:b:c:d:e');
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value.map((g) => [g.id, g.members.length]), [[2, 3], [7, 5]]);
});

test('group id 1 (and 0) is rejected: ids are integers greater than 1', () => {
  assert.match(problemOf('1:DataNode1:DataNode3:DataNode5').problem, /id 1 .*greater than 1/);
  assert.equal(problemOf('0:a:b:c').code, 'BAD_RAFT_GROUP');
  assert.equal(problemOf('x:a:b:c').code, 'BAD_RAFT_GROUP');
});

test('a group of 2 data nodes is rejected', () => {
  const why = problemOf('2:DataNode1:DataNode3');
  assert.equal(why.code, 'BAD_RAFT_GROUP');
  assert.match(why.problem, /group 2 has 2 data node\(s\); a group needs at least 3/);
});

test('the same data node twice in one group is rejected', () => {
  assert.match(problemOf('2:a:b:a').problem, /lists a twice/);
});

test('a duplicate group id is rejected', () => {
  const why = problemOf('2:a:b:c,2:d:e:f');
  assert.equal(why.code, 'DUPLICATE_GROUP_ID');
  assert.match(why.problem, /id 2 is defined twice/);
});

test('empty groups and bad aliases are rejected', () => {
  assert.equal(problemOf('2:a:b:c,').code, 'BAD_RAFT_GROUP');
  assert.equal(problemOf('2:a:b:c.d').code, 'BAD_RAFT_GROUP');
});

test('members must be data nodes of cluster.nodes: not a compute node, not an unknown alias', () => {
  const nodes = parseClusterNodes('localSite,mode\nh:1:dn1,datanode\nh:2:dn2,datanode\nh:3:dn3,datanode\nh:4:cn1,computenode\n', 'cluster.nodes');
  const check = (text: string) => {
    const parsed = parseStreamingRaftGroups(text);
    assert.ok(parsed.ok);
    return checkRaftGroupMembers(parsed.value, nodes);
  };
  assert.ok(check('2:dn1:dn2:dn3').ok);
  const computeNode = check('2:dn1:dn2:cn1');
  assert.ok(!computeNode.ok && computeNode.why.code === 'RAFT_MEMBER_NOT_DATANODE' && /cn1, which is a computenode \(cluster\.nodes:5\)/.test(computeNode.why.problem));
  const wrongCase = check('2:dn1:dn2:DN3');
  assert.ok(!wrongCase.ok && /DN3, which is not in cluster\.nodes \(aliases are case sensitive\)/.test(wrongCase.why.problem));
});
