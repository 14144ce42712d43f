// Typed errors of the admin HTTP API, and the one JSON shape every refusal has:
// { "error": { "code": "AuthRequired", "message": "..." } }.

import { CodedError } from '../../storage/state/errors.js';
import type { HttpReply } from '../server/node_server.js';

export type AdminErrorCode =
  | 'AuthRequired' // no credentials, or a session that expired or was logged out
  | 'AuthFailed' // wrong user name or password
  | 'Busy' // too many password checks at once; retry in a second
  | 'BadRequest' // a login body that is not {"userId": "...", "password": "..."}
  | 'MethodNotAllowed';

const STATUS: Record<AdminErrorCode, number> = { AuthRequired: 401, AuthFailed: 401, Busy: 503, BadRequest: 400, MethodNotAllowed: 405 };

export class AdminError extends CodedError<AdminErrorCode> {
  override readonly name = 'AdminError';

  constructor(code: AdminErrorCode, readonly text: string) {
    super(code, text);
  }

  get status(): number {
    return STATUS[this.code];
  }
}

export function errorReply(err: AdminError, headers: Record<string, string> = {}): HttpReply {
  return { status: err.status, contentType: 'application/json', body: JSON.stringify({ error: { code: err.code, message: err.text } }), headers };
}

export function jsonReply(value: unknown, headers: Record<string, string> = {}): HttpReply {
  return { status: 200, contentType: 'application/json', body: JSON.stringify(value), headers: { 'cache-control': 'no-store', ...headers } };
}
