// The metrics of one data node, in a registry of its own (not prom-client's global one, so two
// nodes in one process, as in tests, never mix): Node's process metrics (memory, event loop lag,
// GC) and Shoal's, all prefixed shoal_. docs/operations.md lists every metric.

import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { HttpRoute } from '../server/node_server.js';
import { registerClientMetrics } from './client_metrics.js';
import type { NodeMetricsSources } from './observed_node.js';
import { RaftMetrics } from './raft_metrics.js';
import { SubscriptionMetrics } from './subscription_metrics.js';
import { TableMetrics } from './table_metrics.js';
import { WalMetrics } from './wal_metrics.js';

export const METRIC_PREFIX = 'shoal_';

export class NodeMetrics {
  readonly registry = new Registry();

  /** Registers every metric and attaches to the node: one listener, the WAL observer, the hub's subscribe hook. */
  constructor(sources: NodeMetricsSources) {
    const registry = this.registry;
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
    const info = new Gauge({ name: 'shoal_node_info', help: 'Always 1: this node\'s Raft id and site (join leader ids to sites with it)', labelNames: ['node_id', 'site'], registers: [registry] });
    info.set({ node_id: String(sources.nodeId), site: sources.site }, 1);
    const raft = new RaftMetrics(registry, sources.node);
    const tables = new TableMetrics(registry, sources.node);
    new SubscriptionMetrics(registry, sources.hub, tables);
    registerClientMetrics(registry, sources);
    sources.node.observeWal(new WalMetrics(registry));
    sources.node.listeners.push(raft, tables);
  }

  /** The text exposition format, as GET /metrics serves it. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** GET /metrics (unauthenticated here; the node wraps it with its login). */
export function metricsRoute(metrics: NodeMetrics): HttpRoute {
  return async () => ({ status: 200, contentType: metrics.registry.contentType, body: await metrics.text() });
}
