// The script commands of the interaction environment: parse one command line, run it against an
// InteractionEnv, and return the lines it prints ("ok" when it prints nothing).

import { RaftError, RaftInvariantError } from '../../../broker/raft/errors.js';
import { ConfChangeType } from '../../../broker/raft/types.js';
import { describeError } from './describe.js';
import { InteractionEnv } from './env.js';

export interface Command {
  name: string;
  positional: string[]; // bare arguments: ids, data, parenthesised lists
  keys: Map<string, string>; // key=value arguments
}

/** Splits `cmd a "b c" key=(1,2) flag` into a command; a bare word with no `=` is positional. */
export function parseCommand(line: string): Command {
  const tokens = line.match(/"[^"]*"|\([^)]*\)|[^\s=]+=(?:\([^)]*\)|"[^"]*"|\S+)|\S+/g) ?? [];
  const [name, ...rest] = tokens;
  const cmd: Command = { name: name ?? '', positional: [], keys: new Map() };
  for (const t of rest) {
    const eq = t.indexOf('=');
    if (eq > 0 && !t.startsWith('"') && !t.startsWith('(')) cmd.keys.set(t.slice(0, eq), unquote(t.slice(eq + 1)));
    else cmd.positional.push(unquote(t));
  }
  return cmd;
}

function unquote(s: string): string {
  return s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

function list(s: string | undefined): number[] {
  if (s === undefined) return [];
  const inner = s.replace(/^\(|\)$/g, '').trim();
  return inner === '' ? [] : inner.split(/[,\s]+/).map(int);
}

function int(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${JSON.stringify(s)}`);
  return n;
}

function ids(cmd: Command, env: InteractionEnv): number[] {
  return cmd.positional.length > 0 ? cmd.positional.map(int) : env.ids();
}

function arg(cmd: Command, i: number, what: string): string {
  const v = cmd.positional[i];
  if (v === undefined) throw new Error(`${cmd.name}: missing ${what}`);
  return v;
}

const CONF_CHANGE_TYPES: Record<string, ConfChangeType> = {
  'add-voter': ConfChangeType.AddVoter,
  'add-learner': ConfChangeType.AddLearner,
  'add-witness': ConfChangeType.AddWitness,
  remove: ConfChangeType.RemoveNode,
};

function run(env: InteractionEnv, cmd: Command): string[] {
  const k = cmd.keys;
  switch (cmd.name) {
    case 'add-nodes': {
      const member = k.has('voters') || k.has('learners') || k.has('witnesses');
      const optional = (key: string) => (k.has(key) ? int(k.get(key)!) : undefined);
      return env.addNodes(int(arg(cmd, 0, 'count')), {
        confState: member ? { voters: list(k.get('voters')), learners: list(k.get('learners')), witnesses: list(k.get('witnesses')) } : undefined,
        seed: optional('seed') ?? 1,
        electionTick: optional('election-tick') ?? 3,
        heartbeatTick: optional('heartbeat-tick') ?? 1,
        preVote: k.get('prevote') !== 'false',
        checkQuorum: k.get('checkquorum') !== 'false',
        enableWitnessToLeader: cmd.positional.includes('enable-witness-to-leader'),
        maxInflightMsgs: optional('max-inflight'),
        maxSizePerMsgBytes: optional('max-size-per-msg'),
      });
    }
    case 'campaign':
      env.node(int(arg(cmd, 0, 'id'))).rawNode.campaign();
      return [];
    case 'propose':
      env.node(int(arg(cmd, 0, 'id'))).rawNode.propose(new TextEncoder().encode(arg(cmd, 1, 'data')));
      return [];
    case 'propose-conf-change': {
      const type = CONF_CHANGE_TYPES[arg(cmd, 1, 'change type')];
      if (!type) throw new Error(`unknown change ${cmd.positional[1]}; use add-voter, add-learner, add-witness or remove`);
      env.node(int(arg(cmd, 0, 'id'))).rawNode.proposeConfChange({ type, nodeId: int(arg(cmd, 2, 'node')) });
      return [];
    }
    case 'tick-heartbeat': {
      const id = int(arg(cmd, 0, 'id'));
      env.tick(id, env.node(id).options.heartbeatTick);
      return [];
    }
    case 'tick-election':
      env.tickElection(int(arg(cmd, 0, 'id')));
      return [];
    case 'tick':
      env.tick(int(arg(cmd, 0, 'id')), int(arg(cmd, 1, 'count')));
      return [];
    case 'process-ready':
      return ids(cmd, env).flatMap((id) => env.processReady(id));
    case 'deliver-msgs':
      return env.deliverMsgs(ids(cmd, env), k.get('drop') === 'true');
    case 'stabilize':
      return env.stabilize(ids(cmd, env));
    case 'transfer-leadership':
      env.node(int(k.get('from') ?? '')).rawNode.transferLeader(int(k.get('to') ?? ''));
      return [];
    case 'partition':
      env.partition(cmd.positional.map(list));
      return [];
    case 'heal':
      env.heal();
      return [];
    case 'compact':
      return env.compact(int(arg(cmd, 0, 'id')), int(arg(cmd, 1, 'index')));
    case 'status':
      return env.status(int(arg(cmd, 0, 'id')));
    case 'raft-log':
      return env.raftLog(int(arg(cmd, 0, 'id')));
    case 'raft-state':
      return env.raftState();
    case 'state-machine':
      return ids(cmd, env).flatMap((id) => env.stateMachine(id));
    default:
      throw new Error(`unknown command ${JSON.stringify(cmd.name)}`);
  }
}

/** Runs one command line; errors the core raises are part of the output, not failures. */
export function runCommand(env: InteractionEnv, line: string): string[] {
  const cmd = parseCommand(line);
  let out: string[];
  try {
    out = run(env, cmd);
  } catch (e) {
    // A typed refusal is the core's answer and is printed; a broken invariant or script fails the test.
    if (!(e instanceof RaftError) || e instanceof RaftInvariantError) throw e;
    out = [describeError(e)];
  }
  return out.length > 0 ? out : ['ok'];
}
