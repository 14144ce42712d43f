// Per stream table: offsets, cached rows and dedup keys (read at scrape time), and what this
// replica's apply did (rows and bytes written, duplicates dropped), counted as appends are applied.
// Every replica applies the same entries, so followers count the same as the leader.

import { Counter, Registry } from 'prom-client';
import type { StreamNodeListener } from '../node/stream_node.js';
import type { AppendOutcome } from '../stream/stream_table.js';
import { Fill, collectedGauge } from './collected_metrics.js';
import type { ObservedNode, ObservedTable } from './observed_node.js';
import { SubjectSeries } from './subject_series.js';

type TableLabels = { group: string; table: string };

export class TableMetrics implements StreamNodeListener {
  private readonly series = new SubjectSeries(); // subject: tableSubject(group, table)
  private readonly rowsWritten: Counter<'group' | 'table'>;
  private readonly bytesAppended: Counter<'group' | 'table'>;
  private readonly duplicatesDropped: Counter<'group' | 'table' | 'reason'>;
  /** Subscribe calls are counted here too, per table: their series go with the table's. */
  readonly subscribes: Counter<'group' | 'table'>;
  readonly resubscribes: Counter<'group' | 'table'>;

  constructor(registry: Registry, private readonly node: ObservedNode) {
    const each = (value: (t: ObservedTable) => number): Fill<'group' | 'table'> => (set) => {
      for (const { labels, table } of this.tables()) set(labels, value(table));
    };
    collectedGauge(registry, 'shoal_table_next_offset', 'Offset the next row appended to the table gets (= rows ever written)', ['group', 'table'], each((t) => t.nextOffset));
    collectedGauge(registry, 'shoal_table_first_offset', 'Offset of the oldest row still retained (retentionMinutes)', ['group', 'table'], each((t) => t.rows.firstRetainedOffset));
    collectedGauge(registry, 'shoal_table_cached_rows', 'Rows of the table held in memory (cacheLimit)', ['group', 'table'], each((t) => t.rows.cachedRows));
    collectedGauge(registry, 'shoal_table_keys', 'Distinct row keys held for dedup (keyed tables; kept for the life of the table)', ['group', 'table'], each((t) => t.keyCount));

    const refresh = (): void => this.refreshSeries();
    const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> => new Counter<L>({ name, help, labelNames, registers: [registry], collect: refresh });
    this.rowsWritten = counter('shoal_table_rows_appended_total', 'Rows written to the table by appends applied on this replica', ['group', 'table']);
    this.bytesAppended = counter('shoal_table_bytes_appended_total', 'Arrow IPC bytes of the rows written (after dedup) by appends applied on this replica', ['group', 'table']);
    this.duplicatesDropped = counter('shoal_table_duplicate_rows_dropped_total', 'Rows not written because they were duplicates: reason="key" (key seen before), reason="producer_repeat" (a producer sequence applied before)', ['group', 'table', 'reason']);
    this.subscribes = counter('shoal_table_subscribes_total', 'subscribeTable calls this node served for the table (each reconnect of a subscriber counts)', ['group', 'table']);
    this.resubscribes = counter('shoal_table_resubscribes_total', 'subscribeTable calls for a topic this node had served before (in this process; the last 4,096 topics are remembered)', ['group', 'table']);
  }

  private tables(): Array<{ labels: TableLabels; table: ObservedTable }> {
    const out: Array<{ labels: TableLabels; table: ObservedTable }> = [];
    for (const id of this.node.groupIds()) {
      for (const table of this.node.group(id).tables.values()) out.push({ labels: { group: String(id), table: table.name }, table });
    }
    return out;
  }

  private refreshSeries(): void {
    const tables = this.tables();
    this.series.retainOnly(new Set(tables.map(({ labels }) => tableSubject(labels))));
    for (const { labels } of tables) {
      const subject = tableSubject(labels);
      this.series.inc(subject, this.rowsWritten, labels, 0);
      this.series.inc(subject, this.bytesAppended, labels, 0);
      this.series.inc(subject, this.duplicatesDropped, { ...labels, reason: 'key' }, 0);
      this.series.inc(subject, this.duplicatesDropped, { ...labels, reason: 'producer_repeat' }, 0);
      this.series.inc(subject, this.subscribes, labels, 0);
      this.series.inc(subject, this.resubscribes, labels, 0);
    }
  }

  /** Counts a subscribe (SubscriptionMetrics decides whether it resumes a topic seen before). */
  subscribed(group: number, table: string, resumed: boolean): void {
    const labels = { group: String(group), table };
    this.series.inc(tableSubject(labels), this.subscribes, labels);
    if (resumed) this.series.inc(tableSubject(labels), this.resubscribes, labels);
  }

  // ---- StreamNodeListener ------------------------------------------------------------------------

  appendApplied(group: number, table: string, outcome: AppendOutcome): void {
    const labels = { group: String(group), table };
    const subject = tableSubject(labels);
    if (outcome.repeated) {
      this.series.inc(subject, this.duplicatesDropped, { ...labels, reason: 'producer_repeat' }, outcome.rowsWritten + outcome.rowsDropped);
      return;
    }
    this.series.inc(subject, this.rowsWritten, labels, outcome.rowsWritten);
    this.series.inc(subject, this.bytesAppended, labels, outcome.ipc?.byteLength ?? 0);
    this.series.inc(subject, this.duplicatesDropped, { ...labels, reason: 'key' }, outcome.rowsDropped);
  }

  tableDropped(group: number, table: string): void {
    this.series.drop(tableSubject({ group: String(group), table }));
  }
}

function tableSubject(labels: TableLabels): string {
  return `${labels.group}/${labels.table}`;
}
