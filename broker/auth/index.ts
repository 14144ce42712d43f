// Users and passwords of a node: what the session layer imports.

export { AuthError, type AuthErrorCode } from './errors.js';
export { hashPassword, verifyPassword } from './password.js';
export { ADMIN_USER, UserStore } from './user_store.js';
