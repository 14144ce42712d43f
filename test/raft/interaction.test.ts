// Runs every script in test/raft/testdata/ against a fresh InteractionEnv, one test per file.
// REWRITE=1 rewrites the expected outputs in the source files instead of comparing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCommand } from './interaction/commands.js';
import { ScriptMismatch, lineDiff, runScript } from './interaction/datadriven.js';
import { InteractionEnv } from './interaction/env.js';

// Tests run from dist/test/raft/; the scripts stay in the source tree.
const TESTDATA = new URL('../../../test/raft/testdata/', import.meta.url);
const rewrite = process.env['REWRITE'] === '1';

for (const file of readdirSync(TESTDATA).filter((f) => f.endsWith('.txt')).sort()) {
  test(file, () => {
    const url = new URL(file, TESTDATA);
    const source = readFileSync(url, 'utf8');
    const env = new InteractionEnv();
    const result = runScript(file, source, (command) => runCommand(env, command), rewrite);
    if (rewrite && result !== source) writeFileSync(fileURLToPath(url), result);
  });
}

test('the runner fails on a wrong expectation and shows a diff', () => {
  const script = 'add-nodes 1 voters=(1)\n----\n1: wrong\n';
  assert.throws(() => runScript('x.txt', script, (c) => runCommand(new InteractionEnv(), c), false), (e: unknown) => {
    assert.ok(e instanceof ScriptMismatch);
    assert.match(e.message, /x\.txt:1: output of `add-nodes 1 voters=\(1\)` differs/);
    assert.match(e.message, /^- 1: wrong$/m);
    assert.match(e.message, /^\+ 1: first=2 last=1 term=1 snapshot=1\/1 Voters:\[1\]$/m);
    return true;
  });
});

test('rewrite fills in missing outputs and keeps comments', () => {
  const env = new InteractionEnv();
  const out = runScript('x.txt', '# hi\nadd-nodes 1 voters=(1)\ncampaign 1\n', (c) => runCommand(env, c), true);
  assert.equal(out, '# hi\nadd-nodes 1 voters=(1)\n----\n1: first=2 last=1 term=1 snapshot=1/1 Voters:[1]\n\ncampaign 1\n----\nok\n');
});

test('lineDiff marks removed and added lines', () => {
  assert.deepEqual(lineDiff(['a', 'b', 'c'], ['a', 'x', 'c']), ['  a', '+ x', '- b', '  c']);
});
