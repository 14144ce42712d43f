// docs/config.md must list every key of the schema with its real default: a doc that disagrees
// with the code is a bug (STYLE.md, section 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '../../config/settings_schema.js';

const DOC = readFileSync(fileURLToPath(new URL('../../../docs/config.md', import.meta.url)), 'utf8');

function shownDefault(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}

test('every schema key has a row in docs/config.md with its default', () => {
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const row = DOC.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
    assert.ok(row !== undefined, `docs/config.md has no row for ${key}`);
    const cells = row.split(' | ');
    assert.equal(cells[2], shownDefault(setting.defaultValue), `default of ${key} in docs/config.md`);
  }
});
