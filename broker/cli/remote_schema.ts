// A table's schema as its node reports it (getPersistenceMeta), checked, for reading stdin into typed
// columns and for printing rows by column type.

import { PersistenceMeta, ShoalClient } from '../../clients/shoal_client.js';
import { messageOf } from '../../storage/state/errors.js';
import { TableSchema, checkSchema } from '../table/schema.js';
import { CliError } from './cli_errors.js';

export async function fetchTable(client: ShoalClient, tableName: string): Promise<{ meta: PersistenceMeta; schema: TableSchema }> {
  const meta = await client.getPersistenceMeta(tableName);
  try {
    // A DECIMAL's scale rides in `scale` unless its type names it ('DECIMAL64(4)').
    const columns = meta.schema.map((c) => (/^\s*DECIMAL(32|64)\s*$/i.test(c.type) ? { name: c.name, type: c.type, scale: c.scale } : { name: c.name, type: c.type }));
    return { meta, schema: checkSchema({ columns }) };
  } catch (err) {
    throw new CliError('CLUSTER', `the node's schema of ${tableName} does not check: ${messageOf(err)}`);
  }
}
