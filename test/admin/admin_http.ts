// HTTP helpers for the admin tests against real data node processes.

import { ADMIN_PASSWORD, TestCluster, waitFor } from '../node/cluster_harness.js';

export const BASIC_ADMIN = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };

export function baseUrl(cluster: TestCluster, i: number): string {
  return `http://127.0.0.1:${cluster.nodes[i]!.port}`;
}

export async function getJson(url: string, headers: Record<string, string> = BASIC_ADMIN): Promise<any> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** The index of the running node that leads `group`, as a running node's /api/groups says and the leader itself confirms. */
export async function leaderIndex(cluster: TestCluster, group: number, timeoutMs = 20_000): Promise<number> {
  return waitFor(`a leader of group ${group}`, async () => {
    for (let i = 0; i < cluster.nodes.length; i++) {
      if (!cluster.nodes[i]!.child) continue;
      const doc = await getJson(`${baseUrl(cluster, i)}/api/groups`).catch(() => undefined);
      const g = doc?.groups.find((x: any) => x.id === group);
      if (g?.role === 'leader') return i;
    }
    return undefined;
  }, timeoutMs);
}
