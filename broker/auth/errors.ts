// Typed errors of users and passwords. AUTH_FAILED is deliberately the same for an unknown user
// and a wrong password, so a client cannot probe which user names exist.

import { CodedError } from '../../storage/state/errors.js';

export type AuthErrorCode =
  | 'AUTH_FAILED' // wrong user name or password
  | 'BAD_USER' // a user name or password that cannot be stored (empty, too long, bad characters, already taken)
  | 'USERS_FILE'; // the users file cannot be read, parsed or written

export class AuthError extends CodedError<AuthErrorCode> {
  override readonly name = 'AuthError';
}
