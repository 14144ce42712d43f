// Arguments of the client commands, where their nodes and password come from, and --filter values.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandSpec, choiceFlag, filterValues, intFlag, parseArgs } from '../../broker/cli/cli_args.js';
import { CliError } from '../../broker/cli/cli_errors.js';
import { LocalCluster, TARGET_FLAGS, addressOf, resolveTarget } from '../../broker/cli/cli_target.js';

const tail: CommandSpec = { name: 'tail', positionals: ['table'], flags: { ...TARGET_FLAGS, from: 'string', count: 'string', format: 'string', persist: 'boolean' } };

const usageError = (pattern: RegExp) => (e: unknown) => e instanceof CliError && e.code === 'USAGE' && e.exitCode === 2 && pattern.test(e.text);

test('flags take the next argument (even a negative number) or =value; switches take none', () => {
  const a = parseArgs(['trades', '--from', '-2', '--format=csv', '--persist'], tail);
  assert.deepEqual(a.positionals, ['trades']);
  assert.equal(intFlag(a, 'from', -1, -2), -2);
  assert.equal(choiceFlag(a, 'format', ['json', 'csv'], 'json'), 'csv');
  assert.ok(a.switches.has('persist'));
  assert.equal(intFlag(parseArgs(['t'], tail), 'from', -1, -2), -1, 'fallback when absent');
});

test('argument errors say what is wrong', () => {
  assert.throws(() => parseArgs([], tail), usageError(/^missing <table>$/));
  assert.throws(() => parseArgs(['a', 'b'], tail), usageError(/unexpected argument "b"/));
  assert.throws(() => parseArgs(['a', '--form', 'csv'], tail), usageError(/unknown flag --form; it takes --site, --host/));
  assert.throws(() => parseArgs(['a', '--from'], tail), usageError(/--from needs a value/));
  assert.throws(() => parseArgs(['a', '--count', '1', '--count', '2'], tail), usageError(/--count is given twice/));
  assert.throws(() => parseArgs(['a', '--persist=yes'], tail), usageError(/--persist is a switch/));
  assert.throws(() => intFlag(parseArgs(['a', '--from', '-3'], tail), 'from', -1, -2), usageError(/--from needs an integer >= -2, got "-3"/));
  assert.throws(() => intFlag(parseArgs(['a', '--count', '1e3'], tail), 'count', 0, 0), usageError(/--count needs an integer/));
  assert.throws(() => choiceFlag(parseArgs(['a', '--format', 'xml'], tail), 'format', ['json', 'csv'], 'json'), usageError(/--format is one of json, csv, got "xml"/));
});

const local: LocalCluster = {
  dir: 'config/local',
  dataNodes: ['127.0.0.1:8902:datanode1', '127.0.0.1:8903:datanode2'].map((s) => addressOf(s)!),
  adminPassword: 'local-pw',
};
const status: CommandSpec = { name: 'status', positionals: [], flags: { ...TARGET_FLAGS } };
const target = (argv: string[], env: Record<string, string> = {}, cluster: LocalCluster | Error = local) => resolveTarget(parseArgs(argv, status), env, cluster);

test('nodes: the config directory by default, else --site or --host/--port', () => {
  const t = target([]);
  assert.deepEqual(t.seeds.map((s) => s.label), ['127.0.0.1:8902:datanode1', '127.0.0.1:8903:datanode2']);
  assert.equal(t.fromConfig, true);
  assert.equal(t.user, 'admin');
  assert.deepEqual(target(['--site', '10.0.0.5:9000', '--password', 'p']).seeds, [{ host: '10.0.0.5', port: 9000, label: '10.0.0.5:9000' }]);
  assert.deepEqual(target(['--port', '8903']).seeds.map((s) => s.label), ['127.0.0.1:8903:datanode2'], 'a local node is named by its alias');
  assert.throws(() => target(['--site', 'nowhere']), usageError(/--site needs host:port/));
  assert.throws(() => target(['--site', 'a:1', '--port', '2']), usageError(/--site or --host\/--port, not both/));
  assert.throws(() => target([], {}, new Error('cannot read cluster.nodes')), usageError(/no --site given and the config directory cannot be read: cannot read cluster.nodes/));
});

test('password: --password, else SHOAL_PASSWORD, else adminPassword -- and that only for the config directory\'s own nodes', () => {
  assert.equal(target(['--password', 'flag']).password, 'flag');
  assert.equal(target([], { SHOAL_PASSWORD: 'env' }).password, 'env');
  assert.equal(target([]).password, 'local-pw');
  assert.equal(target(['--site', '127.0.0.1:8902']).password, 'local-pw');
  assert.throws(() => target(['--site', '10.0.0.5:9000']), (e: unknown) => e instanceof CliError && e.code === 'NO_PASSWORD' && /give --password or set SHOAL_PASSWORD/.test(e.text));
  assert.throws(() => target([], {}, { ...local, adminPassword: undefined }), (e: unknown) => e instanceof CliError && e.code === 'NO_PASSWORD');
});

test('--filter: numbers and booleans by their text, anything quoted stays a string', () => {
  assert.deepEqual(filterValues('IBM,42,1.5,true,"42",-3'), ['IBM', 42, 1.5, true, '42', -3]);
  assert.deepEqual(filterValues('"a,b",c'), ['a,b', 'c']);
  assert.throws(() => filterValues(''), usageError(/--filter needs at least one value/));
});
