// The NotLeader convention and "host:port:alias" sites, which every client parses.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WIRE_ERROR_CODES, formatSite, notLeaderText, parseNotLeaderText, parseSite } from '../../broker/protocol/error_codes.js';
import { METHODS, METHODS_BEFORE_LOGIN } from '../../broker/protocol/methods.js';

test('NotLeader text is exactly "<NotLeader>host:port:alias", or "<NotLeader>" when no leader is known', () => {
  assert.equal(notLeaderText('127.0.0.1:8902:datanode2'), '<NotLeader>127.0.0.1:8902:datanode2');
  assert.equal(notLeaderText(undefined), '<NotLeader>');
  assert.deepStrictEqual(parseNotLeaderText('<NotLeader>127.0.0.1:8902:datanode2'), { leader: { host: '127.0.0.1', port: 8902, alias: 'datanode2' } });
  assert.deepStrictEqual(parseNotLeaderText('<NotLeader>'), { leader: undefined });
  assert.deepStrictEqual(parseNotLeaderText('<NotLeader>garbage'), { leader: undefined });
  assert.equal(parseNotLeaderText('NotLeader 127.0.0.1:8902:dn'), undefined);
  assert.equal(parseNotLeaderText(''), undefined);
});

test('sites on the wire follow the cluster configuration\'s grammar (config/site.ts); anything else is undefined', () => {
  const site = { host: 'node-a.example.com', port: 1, alias: 'a' };
  assert.equal(formatSite(site), 'node-a.example.com:1:a');
  assert.deepStrictEqual(parseSite(formatSite(site)), site);
  assert.deepStrictEqual(parseSite('127.0.0.1:8902:datanode2'), { host: '127.0.0.1', port: 8902, alias: 'datanode2' });
  for (const bad of ['', 'host', 'host:8902', ':8902:dn', 'host::dn', 'host:8902:', 'host:0:dn', 'host:65536:dn', 'host:8x02:dn', 'host:-1:dn',
    '::1:8902:dn1', 'host:8902:d/n', 'host:8902:dn:extra']) {
    assert.equal(parseSite(bad), undefined, bad);
  }
});

test('the error codes are unique, and the methods allowed before login are methods', () => {
  assert.equal(new Set(WIRE_ERROR_CODES).size, WIRE_ERROR_CODES.length);
  for (const code of ['NotLeader', 'AuthRequired', 'AuthFailed', 'BadRequest', 'UnknownMethod', 'Internal']) assert.ok((WIRE_ERROR_CODES as readonly string[]).includes(code));
  for (const m of METHODS_BEFORE_LOGIN) assert.ok(METHODS.includes(m));
  assert.deepStrictEqual([...METHODS_BEFORE_LOGIN].sort(), ['getStreamingLeader', 'getStreamingRaftGroups', 'login']);
});
