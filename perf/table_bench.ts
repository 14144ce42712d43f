// A quick timing of the server's hot path (not a test): decodeAppendBatch and rowKeys on 10,000 rows of
// 11 columns (an 8-char id, a 4-char symbol, a timestamp, 4 doubles, 4 ints). The number in
// docs/types.md comes from here. Run: npx tsc -p tsconfig.json && node dist/perf/table_bench.js

import * as arrow from 'apache-arrow';
import { decodeAppendBatch, encodeAppendBatch, rowKeys, selectRows } from '../broker/table/batch.js';
import { checkSchema } from '../broker/table/schema.js';

const ROWS = 10_000;
const schema = checkSchema({
  columns: [
    { name: 'id', type: 'STRING' }, { name: 'sym', type: 'SYMBOL' }, { name: 'ts', type: 'TIMESTAMP' },
    ...['bid', 'ask', 'last', 'vwap'].map((name) => ({ name, type: 'DOUBLE' })),
    ...['bidSize', 'askSize', 'lastSize', 'trades'].map((name) => ({ name, type: 'INT' })),
  ],
});
const columns: Record<string, unknown[]> = {
  id: Array.from({ length: ROWS }, (_, i) => `id${String(i).padStart(6, '0')}`),
  sym: Array.from({ length: ROWS }, (_, i) => ['AAPL', 'MSFT', 'GOOG', 'AMZN'][i % 4]),
  ts: Array.from({ length: ROWS }, (_, i) => 1_700_000_000_000 + i),
};
for (const name of ['bid', 'ask', 'last', 'vwap']) columns[name] = Array.from({ length: ROWS }, (_, i) => 100 + i / 7);
for (const name of ['bidSize', 'askSize', 'lastSize', 'trades']) columns[name] = Array.from({ length: ROWS }, (_, i) => i * 3);
const limits = { maxRows: ROWS, maxBytes: 64 << 20 };
const ipc = encodeAppendBatch(schema, columns, limits);

function time(name: string, rounds: number, f: () => unknown): void {
  for (let i = 0; i < 20; i++) f();
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) f();
  const us = Number(process.hrtime.bigint() - start) / 1000 / rounds;
  console.log(`${name.padEnd(48)} ${us.toFixed(0).padStart(7)} us per ${ROWS} rows (${((us * 1000) / ROWS).toFixed(0)} ns/row)`);
}

console.log(`batch: ${ipc.byteLength} bytes of Arrow IPC`);
const decoded = decodeAppendBatch(schema, ipc, limits);
time('decodeAppendBatch', 200, () => decodeAppendBatch(schema, ipc, limits));
time('rowKeys [id]', 200, () => rowKeys(decoded, [0]));
time('rowKeys [id, sym, ts]', 200, () => rowKeys(decoded, [0, 1, 2]));
time('rowKeys all 11 columns', 100, () => rowKeys(decoded, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
time('selectRows (every other row)', 100, () => selectRows(decoded, Array.from({ length: ROWS / 2 }, (_, i) => 2 * i)));
time('for comparison: apache-arrow tableFromIPC', 200, () => arrow.tableFromIPC(ipc));
const vector = decoded.batch.getChildAt(0)!;
time('for comparison: id column by Vector.get(i)', 100, () => {
  const out = new Array<string>(ROWS);
  for (let i = 0; i < ROWS; i++) out[i] = `${vector.get(i)}`;
  return out;
});
