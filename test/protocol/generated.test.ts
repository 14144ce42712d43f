// The committed generated code is exactly what broker/protocol/generate.sh makes from the committed
// .proto files, so nobody changes one without the other.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// This file runs as dist/test/protocol/generated.test.js; the sources are three levels up.
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const protocolDir = join(repo, 'broker/protocol');
const committedDir = join(protocolDir, 'generated');

test('broker/protocol/generated/ matches a fresh run of generate.sh on the .proto files', () => {
  const fresh = mkdtempSync(join(tmpdir(), 'shoal-protocol-gen-'));
  try {
    execFileSync('sh', [join(protocolDir, 'generate.sh'), fresh], { stdio: ['ignore', 'pipe', 'pipe'] });
    const names = readdirSync(fresh).sort();
    assert.deepStrictEqual(names, ['shoal_pb.ts', 'shoal_pb_types.d.ts']);
    assert.deepStrictEqual(readdirSync(committedDir).sort(), names, 'generated/ holds exactly the generated files');
    for (const name of names) {
      const want = readFileSync(join(fresh, name), 'utf8');
      const have = readFileSync(join(committedDir, name), 'utf8');
      assert.ok(have === want, `generated/${name} is stale or hand-edited: run broker/protocol/generate.sh and commit the result`);
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});
