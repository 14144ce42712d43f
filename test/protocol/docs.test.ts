// docs/protocol.md must describe what the code speaks: every method with every request and reply
// field, every push, every error code. A doc that disagrees with the code is a bug (STYLE.md, section 5).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { METHODS, PUSH_KINDS } from '../../broker/protocol/methods.js';
import { WIRE_ERROR_CODES } from '../../broker/protocol/error_codes.js';
import { SAMPLE_PUSHES, SAMPLE_REPLIES, SAMPLE_REQUESTS } from './samples.js';

const DOC = readFileSync(fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url)), 'utf8');
const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The cells of the table row that starts with `name`, e.g. | `append` + arrow | request | reply | errors |. */
function row(name: string): string[] {
  const line = DOC.split('\n').find((l) => l.startsWith(`| \`${name}\` `));
  assert.ok(line !== undefined, `docs/protocol.md has no table row for ${name}`);
  return line.split(' | ');
}

test('every method has a row naming each of its request and reply fields', () => {
  for (const m of METHODS) {
    const [, request, reply] = row(m);
    for (const field of Object.keys(SAMPLE_REQUESTS[m])) assert.ok(request!.includes(`\`${snake(field)}\``), `${m} request field ${snake(field)}`);
    for (const field of Object.keys(SAMPLE_REPLIES[m])) assert.ok(reply!.includes(`\`${snake(field)}\``), `${m} reply field ${snake(field)}`);
  }
});

test('every push has a row naming each of its fields', () => {
  for (const p of PUSH_KINDS) {
    const [, body] = row(p);
    for (const field of Object.keys(SAMPLE_PUSHES[p])) assert.ok(body!.includes(`\`${snake(field)}\``), `${p} field ${snake(field)}`);
  }
});

test('every wire error code has a row', () => {
  for (const code of WIRE_ERROR_CODES) row(code);
});
