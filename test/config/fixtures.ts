// Reads the seed snippets copied verbatim into test/config/fixtures/ (they are not compiled,
// so the path is taken from the source tree, three levels above dist/test/config/).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../../../test/config/fixtures/', import.meta.url));

export function fixture(name: string): string {
  return readFileSync(FIXTURES_DIR + name, 'utf8');
}
