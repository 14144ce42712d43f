// What the client commands print: rows as JSON lines or CSV (and read back by append), aligned tables,
// and the status report; and which leader status and leader believe.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvHeader, rowToCsv, rowToJson } from '../../broker/cli/row_output.js';
import { formatTextTable } from '../../broker/cli/text_table.js';
import { formatStatus, groupStatesOfStat, pickLeader } from '../../broker/cli/cluster_view.js';
import { CsvReader } from '../../broker/cli/csv_rows.js';
import { RowBatchBuilder } from '../../broker/cli/row_input.js';
import { checkSchema } from '../../broker/table/schema.js';
import { batchToRows, decodeAppendBatch, encodeAppendBatch } from '../../broker/table/batch.js';

const schema = checkSchema({
  columns: [
    { name: 'sym', type: 'SYMBOL' }, { name: 'qty', type: 'LONG' }, { name: 'px', type: 'DOUBLE' }, { name: 'amt', type: 'DECIMAL64', scale: 4 },
    { name: 'ts', type: 'TIMESTAMP' }, { name: 'ns', type: 'NANOTIMESTAMP' }, { name: 'd', type: 'DATE' }, { name: 'm', type: 'MONTH' },
    { name: 't', type: 'TIME' }, { name: 'nt', type: 'NANOTIME' }, { name: 'dt', type: 'DATETIME' }, { name: 'ok', type: 'BOOL' },
    { name: 'note', type: 'STRING' }, { name: 'ip', type: 'IPADDR' },
  ],
});
const LIMITS = { maxRows: 100, maxBytes: 1 << 20 };

/** Rows as a subscriber gets them: encoded and decoded by the table library. */
function roundTrip(data: Record<string, unknown[]>): Array<Record<string, unknown>> {
  return batchToRows(decodeAppendBatch(schema, encodeAppendBatch(schema, data, LIMITS), LIMITS));
}

const rows = roundTrip({
  sym: ['IBM', null], qty: [9007199254740993n, null], px: [1.5, null], amt: ['-12.3400', null],
  ts: [1714555800250n, null], ns: [1714555800123456789n, null], d: [19844, null], m: [24292, null],
  t: [34200250, null], nt: [34200123456789n, null], dt: [1714555800n, null], ok: [true, null],
  note: ['say "hi", then\nleave', null], ip: ['10.0.0.1', null],
});

test('JSON lines: numbers bare unless a double would round them, dates and times as ISO text, null as null', () => {
  const line = rowToJson(schema, rows[0]!);
  assert.equal(line, '{"sym":"IBM","qty":"9007199254740993","px":1.5,"amt":-12.3400,"ts":"2024-05-01T09:30:00.250",'
    + '"ns":"2024-05-01T09:30:00.123456789","d":"2024-05-01","m":"2024-05","t":"09:30:00.250","nt":"09:30:00.123456789",'
    + '"dt":"2024-05-01T09:30:00","ok":true,"note":"say \\"hi\\", then\\nleave","ip":"10.0.0.1"}');
  assert.equal(JSON.parse(line).note, 'say "hi", then\nleave', 'valid JSON');
  assert.equal(rowToJson(schema, rows[1]!), `{${schema.columns.map((c) => `"${c.name}":null`).join(',')}}`);
});

test('what tail prints, append reads back to the same rows (CSV and JSON lines)', () => {
  const csv = [csvHeader(schema), ...rows.map((r) => rowToCsv(schema, r))].join('\n') + '\n';
  const fromCsv = new RowBatchBuilder(schema);
  const reader = new CsvReader();
  for (const r of reader.push(csv)) fromCsv.addCsvRecord(r);
  assert.deepEqual(roundTrip(fromCsv.take().data as Record<string, unknown[]>), rows);

  const fromJson = new RowBatchBuilder(schema);
  rows.forEach((r, i) => fromJson.addJsonLine(i + 1, rowToJson(schema, r)));
  assert.deepEqual(roundTrip(fromJson.take().data as Record<string, unknown[]>), rows);
});

test('a number a double cannot hold is printed as a JSON string, so a JSON reader does not round it', () => {
  const line = (qty: bigint, amt: string) => JSON.parse(rowToJson(schema, { ...rows[1]!, qty, amt }));
  assert.deepEqual([line(9007199254740991n, '1.5000').qty, line(9007199254740991n, '1.5000').amt], [9007199254740991, 1.5]);
  assert.deepEqual([line(-9007199254740993n, '12345678901234.5678').qty, line(0n, '12345678901234.5678').amt], ['-9007199254740993', '12345678901234.5678']);
});

test('formatTextTable pads every column but the last to its widest cell', () => {
  assert.equal(formatTextTable(['NAME', 'ROWS'], [['trades', '25000'], ['q', '7']]), 'NAME    ROWS\ntrades  25000\nq       7');
});

test('groupStatesOfStat reads the groups of getStreamingStat and ignores a shape it does not know', () => {
  assert.deepEqual(groupStatesOfStat({ groups: [{ id: 2, role: 'leader', term: 3, leader: 'h:1:a' }, { id: 'x' }, null] }), [{ id: 2, role: 'leader', term: 3, leader: 'h:1:a' }]);
  assert.deepEqual(groupStatesOfStat({ groups: 'nope' }), []);
  assert.deepEqual(groupStatesOfStat({}), []);
});

test('pickLeader believes the answer of the highest term, and says none when nobody names one', () => {
  assert.deepEqual(pickLeader([{ leader: 'old', term: 2 }, { leader: '', term: 4 }, { leader: 'new', term: 3 }]), { leader: 'new', term: 3 });
  assert.deepEqual(pickLeader([{ leader: 'a', term: undefined }, { leader: 'b', term: 1 }]), { leader: 'b', term: 1 });
  assert.equal(pickLeader([{ leader: '', term: 5 }]).leader, '');
  assert.equal(pickLeader([]).leader, '');
});

test('formatStatus: nodes up and down, groups with leader and term, the table count', () => {
  const text = formatStatus(
    [{ label: 'h:1:dn1', up: true, detail: 'group 2 leader' }, { label: 'h:2:dn2', up: false, detail: '<ConnectFailed> refused' }],
    [{ id: 2, members: ['h:1:dn1', 'h:2:dn2'], leader: 'h:1:dn1', term: 7 }, { id: 3, members: ['h:1:dn1'], leader: '', term: undefined }],
    4,
  );
  assert.equal(text, [
    'data nodes: 1 of 2 up',
    '  NODE     STATE  DETAIL',
    '  h:1:dn1  up     group 2 leader',
    '  h:2:dn2  down   <ConnectFailed> refused',
    '',
    'raft groups: 2',
    '  GROUP  MEMBERS  LEADER   TERM',
    '  2      dn1,dn2  h:1:dn1  7',
    '  3      dn1      (none)   -',
    '',
    'stream tables: 4',
  ].join('\n'));
});
