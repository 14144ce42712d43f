// callOnLeader: the one place the CLI follows NotLeader answers, with fake nodes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShoalError } from '../../clients/shoal_client.js';
import { CliError } from '../../broker/cli/cli_errors.js';
import { MAX_LEADER_HOPS, NO_LEADER_PAUSE_MS, callOnLeader } from '../../broker/cli/leader_calls.js';
import { NodeAddress, addressOf } from '../../broker/cli/cli_target.js';

const site = (s: string) => addressOf(s)!;

/** A fake node answering per its script: 'ok', 'notLeader:<site>' or 'notLeader:' (none known), in turn. */
function cluster(scripts: Record<string, string[]>) {
  const calls: string[] = [];
  const open = async (at: NodeAddress) => at.label;
  const call = async (label: string) => {
    calls.push(label);
    const answer = scripts[label]!.shift() ?? 'ok';
    if (answer === 'ok') return `done at ${label}`;
    const leader = answer.slice('notLeader:'.length);
    throw new ShoalError('NotLeader', `not leader (<NotLeader>${leader})`, leader === '' ? {} : { leader });
  };
  return { open, call, calls };
}

test('a NotLeader answer sends the call to the leader it names, and the result says where it ran', async () => {
  const c = cluster({ 'h:1:a': ['notLeader:h:2:b'], 'h:2:b': ['ok'] });
  const r = await callOnLeader(async (at) => c.open(at), site('h:1:a'), c.call);
  assert.deepEqual(r, { value: 'done at h:2:b', at: site('h:2:b') });
  assert.deepEqual(c.calls, ['h:1:a', 'h:2:b']);
});

test('no leader known: pause, then ask the same node again', async () => {
  const c = cluster({ 'h:1:a': ['notLeader:', 'notLeader:', 'ok'] });
  const pauses: number[] = [];
  const r = await callOnLeader(c.open, site('h:1:a'), c.call, { pause: async (ms) => void pauses.push(ms) });
  assert.equal(r.value, 'done at h:1:a');
  assert.deepEqual(pauses, [NO_LEADER_PAUSE_MS, NO_LEADER_PAUSE_MS]);
});

test('NotLeader answers going round in circles end in NO_LEADER naming the path, after MAX_LEADER_HOPS calls', async () => {
  const c = cluster({ 'h:1:a': Array(20).fill('notLeader:h:2:b'), 'h:2:b': Array(20).fill('notLeader:h:1:a') });
  await assert.rejects(callOnLeader(c.open, site('h:1:a'), c.call), (e: unknown) =>
    e instanceof CliError && e.code === 'NO_LEADER' && e.exitCode === 1 && /h:1:a \(leader h:2:b\) -> h:2:b \(leader h:1:a\)/.test(e.text));
  assert.equal(c.calls.length, MAX_LEADER_HOPS);
});

test('any other error is the caller\'s, untouched and not retried', async () => {
  let calls = 0;
  const refused = new ShoalError('UnknownTable', 'no such table');
  await assert.rejects(callOnLeader(async () => 'x', site('h:1:a'), async () => {
    calls++;
    throw refused;
  }), (e: unknown) => e === refused);
  assert.equal(calls, 1);
});
