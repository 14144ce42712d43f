// Per subscription this node serves (as a group's leader): the offset delivered last and the lag
// in rows, read from the subscription hub at scrape time, so an ended subscription's series go
// with it. Subscribes and resubscribes are counted per table (TableMetrics).

import { Registry } from 'prom-client';
import { collectedGauge } from './collected_metrics.js';
import type { ObservedHub } from './observed_node.js';
import type { TableMetrics } from './table_metrics.js';

/** Topics remembered to tell a resubscribe from a first subscribe; the oldest is forgotten first. */
export const REMEMBERED_TOPICS = 4096;

export class SubscriptionMetrics {
  private readonly seenTopics = new Set<string>(); // insertion order = age

  constructor(registry: Registry, hub: ObservedHub, tables: TableMetrics) {
    const labelNames = ['group', 'table', 'topic'] as const;
    const each = (value: (s: ReturnType<ObservedHub['list']>[number]) => number) => (set: (l: Record<(typeof labelNames)[number], string>, v: number) => void) => {
      for (const s of hub.list()) set({ group: String(s.group), table: s.table, topic: s.topic }, value(s));
    };
    collectedGauge(registry, 'shoal_subscription_delivered_offset', 'Offset of the last row pushed to the subscriber (-1: none yet)', labelNames, each((s) => s.nextOffset - 1));
    collectedGauge(registry, 'shoal_subscription_lag_rows', 'Rows of the table not yet pushed to the subscriber (table next offset - delivered offset - 1)', labelNames, each((s) => s.lagRows));
    collectedGauge(registry, 'shoal_subscription_catching_up', '1 while the subscriber reads older rows (behind, or its connection was full), 0 while live', labelNames, each((s) => (s.catchingUp ? 1 : 0)));
    hub.onSubscribed = (group, table, topic) => tables.subscribed(group, table, this.remember(topic));
  }

  /** Remembers `topic`; true if it was seen before. */
  private remember(topic: string): boolean {
    const seen = this.seenTopics.delete(topic);
    this.seenTopics.add(topic);
    if (this.seenTopics.size > REMEMBERED_TOPICS) this.seenTopics.delete(this.seenTopics.values().next().value!);
    return seen;
  }
}
