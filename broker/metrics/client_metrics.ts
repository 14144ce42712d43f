// Client connections and requests of the node, and its links to peers: totals the node keeps
// already (SessionStats, PeerLinks), copied at scrape time.

import { Registry } from 'prom-client';
import { WIRE_ERROR_CODES } from '../protocol/error_codes.js';
import { collectedCounter, collectedGauge } from './collected_metrics.js';
import type { NodeMetricsSources } from './observed_node.js';

const KNOWN_CODES: ReadonlySet<string> = new Set(WIRE_ERROR_CODES);

export function registerClientMetrics(registry: Registry, sources: Pick<NodeMetricsSources, 'clients' | 'peers'>): void {
  collectedGauge(registry, 'shoal_client_connections', 'Client WebSocket connections open now', [], (set) => set({}, sources.clients().connections));
  collectedCounter(registry, 'shoal_client_requests_total', 'Client requests decoded (every method, login included)', [], (set) => set({}, sources.clients().requests));
  collectedCounter(registry, 'shoal_client_errors_total', 'Requests answered with an error, by wire error code (docs/protocol.md); a code not in the protocol is counted as "Other"', ['code'], (set) => {
    const byCode = new Map<string, number>();
    for (const [code, n] of sources.clients().errorsByCode) {
      const label = KNOWN_CODES.has(code) ? code : 'Other';
      byCode.set(label, (byCode.get(label) ?? 0) + n);
    }
    for (const [code, n] of byCode) set({ code }, n);
  });
  collectedCounter(registry, 'shoal_client_malformed_frames_total', 'Client frames that did not decode (answered BadRequest, or the connection closed)', [], (set) => set({}, sources.clients().malformedFrames));
  const peers = sources.peers;
  if (!peers) return;
  collectedGauge(registry, 'shoal_peer_connected', '1 while the link to the peer node is connected', ['peer'], (set) => {
    for (const [id, s] of peers()) set({ peer: String(id) }, s.connected ? 1 : 0);
  });
  collectedGauge(registry, 'shoal_peer_queued_bytes', 'Bytes queued for the peer node, not yet sent', ['peer'], (set) => {
    for (const [id, s] of peers()) set({ peer: String(id) }, s.queuedBytes);
  });
  collectedCounter(registry, 'shoal_peer_reconnects_total', 'Connection attempts to the peer node after the first', ['peer'], (set) => {
    for (const [id, s] of peers()) set({ peer: String(id) }, s.reconnects);
  });
  collectedCounter(registry, 'shoal_peer_dropped_frames_total', 'Frames for the peer node dropped (its queue full, the frame too large, or the link closed)', ['peer'], (set) => {
    for (const [id, s] of peers()) set({ peer: String(id) }, s.dropped);
  });
}
