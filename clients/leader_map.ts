// Pure: which site an HA client believes leads each table's Raft group, learnt from NotLeader answers
// and from calls only a leader serves that succeeded. Kept per group when the table's group is known
// (getPersistenceMeta, haStreamTable, listTables), so learning the leader through one table routes
// every table of the group; per table otherwise.

export interface Route {
  /** The table the call is about. */
  table?: string;
  /** The table's Raft group when the call names it (haStreamTable). */
  group?: number;
}

export class LeaderMap {
  private readonly groupOfTable = new Map<string, number>();
  private readonly groupLeader = new Map<number, string>();
  private readonly tableLeader = new Map<string, string>();

  /** The table belongs to Raft group `group` (0: a regular table, no group). */
  setGroup(table: string, group: number): void {
    if (group <= 0) {
      this.groupOfTable.delete(table);
      return;
    }
    this.groupOfTable.set(table, group);
    const leader = this.tableLeader.get(table);
    if (leader !== undefined && !this.groupLeader.has(group)) this.groupLeader.set(group, leader);
    this.tableLeader.delete(table);
  }

  /** The site ("host:port[:alias]") last known to lead the route's group; undefined when none is known. */
  leaderOf(route: Route): string | undefined {
    const group = this.groupOf(route);
    if (group !== undefined) return this.groupLeader.get(group);
    return route.table === undefined ? undefined : this.tableLeader.get(route.table);
  }

  learn(route: Route, site: string): void {
    const group = this.groupOf(route);
    if (group !== undefined) this.groupLeader.set(group, site);
    else if (route.table !== undefined) this.tableLeader.set(route.table, site);
  }

  /** The site stopped answering: forget it as anyone's leader, so calls start from the site list again. */
  forgetSite(matches: (site: string) => boolean): void {
    for (const [group, site] of this.groupLeader) if (matches(site)) this.groupLeader.delete(group);
    for (const [table, site] of this.tableLeader) if (matches(site)) this.tableLeader.delete(table);
  }

  private groupOf(route: Route): number | undefined {
    if (route.group !== undefined && route.group > 0) return route.group;
    return route.table === undefined ? undefined : this.groupOfTable.get(route.table);
  }
}
