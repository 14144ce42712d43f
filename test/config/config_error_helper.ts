import assert from 'node:assert/strict';
import { ConfigError } from '../../config/config_error.js';

/** Runs `fn`, requires it to throw a ConfigError, and returns it for assertions on code and line. */
export function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError, nothing was thrown');
}
