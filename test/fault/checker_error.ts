// The one way the history checker refuses to judge: a history it cannot read (a recording bug of the
// runner, not an anomaly of Shoal).

import { CodedError } from '../../storage/state/errors.js';

export type MalformedHistoryCode = 'MALFORMED_HISTORY';

/** The history contradicts its own format (an undeclared subscriber, two reads of one replica, ...). */
export class MalformedHistoryError extends CodedError<MalformedHistoryCode> {
  override readonly name = 'MalformedHistoryError';
  constructor(message: string) {
    super('MALFORMED_HISTORY', message);
  }
}
