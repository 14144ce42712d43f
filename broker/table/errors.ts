// Typed errors of broker/table: everything a client can get wrong about a schema or a batch.

import { CodedError } from '../../storage/state/errors.js';

export type TableErrorCode =
  | 'BAD_SCHEMA' // the schema is not an object with a list of uniquely named columns, or stored schema bytes are garbage
  | 'BAD_TYPE' // a column type Shoal does not know, or a DECIMAL without a valid scale
  | 'MISSING_COLUMN' // a batch lacks a column of the table
  | 'EXTRA_COLUMN' // a batch has a column the table does not (or has one twice)
  | 'WRONG_TYPE' // a column holds values (or an Arrow type) that do not fit the column's type
  | 'COLUMN_LENGTH' // the columns of a batch differ in length
  | 'BATCH_TOO_LARGE' // a batch over maxRows or maxBytes
  | 'BAD_ARROW' // bytes that are not one well-formed Arrow IPC stream with one record batch
  | 'EMPTY_BATCH' // a batch of zero rows
  | 'BAD_KEY_COLUMN' // a key column that is not in the table, is named twice, or has a type that cannot be a key
  | 'BAD_FILTER'; // a filter column that does not exist, or a filter value that cannot be compared with it

/** `column` names the column at fault when there is one; the message names it (or the limit) too. */
export class TableError extends CodedError<TableErrorCode> {
  override readonly name = 'TableError';
  readonly column?: string;

  constructor(code: TableErrorCode, message: string, column?: string, options?: { cause?: unknown }) {
    super(code, message, options);
    if (column !== undefined) this.column = column;
  }
}
