// Every problem a user can put in a config file, as a typed error that names the file and line
// and says what to do. Parsers return `Problem`s from small pure checks and turn them into
// `ConfigError`s once they know where the text came from.

export type ConfigErrorCode =
  | 'EMPTY_FILE'
  | 'EMPTY_FIRST_LINE'
  | 'BAD_HEADER'
  | 'BAD_LINE'
  | 'BAD_SITE'
  | 'BAD_HOST'
  | 'BAD_PORT'
  | 'BAD_ALIAS'
  | 'UNKNOWN_MODE'
  | 'DUPLICATE_ALIAS'
  | 'DUPLICATE_SITE'
  | 'BAD_VALUE'
  | 'OUT_OF_RANGE'
  | 'BAD_RAFT_GROUP'
  | 'DUPLICATE_GROUP_ID'
  | 'RAFT_MEMBER_NOT_DATANODE'
  | 'MISSING_KEY'
  | 'NODE_NOT_IN_CLUSTER'
  | 'MODE_MISMATCH'
  | 'HA_REQUIREMENT'
  | 'FILE_UNREADABLE';

/** What is wrong and what to do, before we know the file and line. */
export interface Problem {
  readonly code: ConfigErrorCode;
  readonly problem: string;
  readonly action: string;
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: Problem };

export function success<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

export function failure<T = never>(code: ConfigErrorCode, problem: string, action: string): Outcome<T> {
  return { ok: false, why: { code, problem, action } };
}

/** Line 0 means the file as a whole (it cannot be read, or a required key is absent). */
export const WHOLE_FILE = 0;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly file: string;
  readonly line: number;
  readonly problem: string;
  readonly action: string;
  /** Every problem found in the same pass, this one first, so a user can fix them all in one edit. */
  readonly all: readonly ConfigError[];

  constructor(file: string, line: number, why: Problem, others: readonly ConfigError[] = []) {
    const first = formatProblem(file, line, why);
    const rest = others.map((e) => e.message.split('\n')[0]);
    super(rest.length === 0 ? first : [first, `(and ${rest.length} more)`, ...rest].join('\n'));
    this.code = why.code;
    this.file = file;
    this.line = line;
    this.problem = why.problem;
    this.action = why.action;
    this.all = [this, ...others];
  }
}

function formatProblem(file: string, line: number, why: Problem): string {
  const where = line === WHOLE_FILE ? file : `${file}:${line}`;
  return `${where}: ${why.problem}. ${why.action}`;
}

/** Throws one ConfigError carrying all of `errors`, if there are any. */
export function throwIfAny(errors: readonly ConfigError[]): void {
  const [first, ...others] = errors;
  if (first === undefined) return;
  if (others.length === 0) throw first;
  throw new ConfigError(first.file, first.line, first, others);
}

export type ConfigWarningCode = 'UNKNOWN_KEY' | 'REPEATED_KEY' | 'UNMATCHED_ALIAS' | 'SITE_MISMATCH' | 'IGNORED_SETTING';

/** Something suspicious that does not stop the node; shown to the operator at startup. */
export interface ConfigWarning {
  readonly code: ConfigWarningCode;
  readonly file: string;
  readonly line: number;
  readonly message: string;
}
