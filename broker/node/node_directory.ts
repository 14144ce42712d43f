// Who is who in the cluster, as Raft sees it: every node of cluster.nodes gets a numeric id (its
// 1-based line position among the nodes, stable while the file keeps its order), and each id maps
// back to the site clients are told about (`host:port:alias`).

import { ClusterConfig, Site, siteText } from '../../config/index.js';

/** Group 1 is every node's own: its regular (non-HA) persisted stream tables, with itself as sole member. */
export const LOCAL_GROUP = 1;

export interface GroupMembers {
  id: number;
  members: number[];
}

export class NodeDirectory {
  private readonly sites = new Map<number, Site>();
  private readonly ids = new Map<string, number>();

  constructor(cluster: ClusterConfig) {
    cluster.nodes.nodes.forEach((n, i) => {
      this.sites.set(i + 1, { host: n.host, port: n.port, alias: n.alias });
      this.ids.set(n.alias, i + 1);
    });
    this.streamingGroups = cluster.streamingRaftGroups.map((g) => ({ id: g.id, members: g.members.map((a) => this.idOf(a)) }));
  }

  readonly streamingGroups: GroupMembers[];

  idOf(alias: string): number {
    const id = this.ids.get(alias);
    if (id === undefined) throw new RangeError(`no node is named ${alias}`);
    return id;
  }

  site(id: number): Site | undefined {
    return this.sites.get(id);
  }

  /** `host:port:alias`, or undefined for an unknown id (0: no leader known). */
  siteText(id: number): string | undefined {
    const s = this.sites.get(id);
    return s ? siteText(s) : undefined;
  }

  /** The groups this node is a member of: its own local group first, then the streaming groups naming it. */
  groupsOf(nodeId: number): GroupMembers[] {
    return [{ id: LOCAL_GROUP, members: [nodeId] }, ...this.streamingGroups.filter((g) => g.members.includes(nodeId))];
  }
}
