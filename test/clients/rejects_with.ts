// The assertion every client test needs: a promise rejects with a ShoalError of this code, whose
// message starts "<Code> " (CodedError's form); the error is returned for further checks.

import assert from 'node:assert/strict';
import { ShoalError } from '../../clients/index.js';

export async function rejectsWith(p: Promise<unknown>, code: string): Promise<ShoalError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ShoalError, `expected a ShoalError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.startsWith(`<${code}> `), err.message);
    return err;
  }
  assert.fail(`expected ShoalError ${code}, it succeeded`);
}
