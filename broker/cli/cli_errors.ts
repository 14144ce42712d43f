// CliError: what a `shoal` client command (status, leader, tables, tail, append) ends with when it
// cannot do its job. The code says what went wrong; the exit code tells scripts whether the input was
// at fault (2) or the cluster (1).

import { CodedError } from '../../storage/state/errors.js';

export type CliErrorCode =
  | 'USAGE' // unknown flag, missing argument, a value of the wrong shape: read `shoal --help`
  | 'BAD_INPUT' // a line of stdin does not parse or does not fit the table's column
  | 'NO_PASSWORD' // no --password, no SHOAL_PASSWORD and no adminPassword in the config directory
  | 'UNREACHABLE' // no data node answered
  | 'UNKNOWN_GROUP' // the cluster has no raft group of that id
  | 'NO_LEADER' // the group has no leader now, or NotLeader answers went round in circles
  | 'CLUSTER'; // the node refused the call (its error code and text are in the message)

/** Exit status of each code: 2 for what the user typed or piped in, 1 for the cluster. */
const EXIT_CODES: Record<CliErrorCode, number> = {
  USAGE: 2, BAD_INPUT: 2, NO_PASSWORD: 2, UNREACHABLE: 1, UNKNOWN_GROUP: 1, NO_LEADER: 1, CLUSTER: 1,
};

export class CliError extends CodedError<CliErrorCode> {
  override readonly name = 'CliError';

  /** The message without its `<CODE>` prefix, to build on. */
  readonly text: string;

  constructor(code: CliErrorCode, text: string) {
    super(code, text);
    this.text = text;
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}
