// Pure: the sites an HA client may use and the order it tries them in. `SiteList` is shared by all
// calls of a client: the known sites (given, reported by the cluster, or named by a NotLeader) and
// the last one that worked. A `SiteRotation` is one call's walk over them after a failure: it counts
// failed attempts, keeps the last reason each site failed, and says when tryReconnectNums rounds
// (passes over every site) are used up.

import { parseSite } from '../broker/protocol/error_codes.js';

export interface SiteAddress {
  readonly host: string;
  readonly port: number;
  /** "host:port": one site, however it was named (sites are compared by this). */
  readonly key: string;
  /** As it was named: "host:port:alias" when the alias is known, else "host:port". */
  readonly label: string;
}

/** "host:port" or "host:port:alias" as a SiteAddress; undefined when it is neither. */
export function parseSiteAddress(text: string): SiteAddress | undefined {
  const site = parseSite(text);
  if (site !== undefined) return { host: site.host, port: site.port, key: `${site.host}:${site.port}`, label: text };
  const m = /^([A-Za-z0-9._-]+):(\d{1,5})$/.exec(text);
  if (m === null) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1]!, port, key: `${m[1]}:${port}`, label: text };
}

export function siteAddressOf(host: string, port: number): SiteAddress {
  return { host, port, key: `${host}:${port}`, label: `${host}:${port}` };
}

export class SiteList {
  private readonly sites: SiteAddress[] = [];
  /** Index in `sites` of the home: where the last call about no table succeeded. */
  private lastWorked = 0;

  constructor(initial: readonly SiteAddress[]) {
    if (initial.length === 0) throw new RangeError('a site list needs at least one site');
    for (const s of initial) this.add(s);
  }

  /** Adds a site unless it is known (by host:port); a known one gains the alias if it lacked it. Returns the stored one. */
  add(site: SiteAddress): SiteAddress {
    const i = this.indexOf(site);
    if (i < 0) {
      this.sites.push(site);
      return site;
    }
    const known = this.sites[i]!;
    if (known.label === known.key && site.label !== site.key) this.sites[i] = site;
    return this.sites[i]!;
  }

  get all(): readonly SiteAddress[] {
    return this.sites;
  }

  get size(): number {
    return this.sites.length;
  }

  /** Where calls about no particular table go. */
  get home(): SiteAddress {
    return this.sites[this.lastWorked]!;
  }

  worked(site: SiteAddress): void {
    const i = this.indexOf(site);
    if (i >= 0) this.lastWorked = i;
  }

  /** The site after `site` in the list (the first one when `site` is not in it). */
  after(site: SiteAddress): SiteAddress {
    const i = this.indexOf(site);
    return this.sites[(i + 1) % this.sites.length]!;
  }

  indexOf(site: SiteAddress): number {
    return this.sites.findIndex((s) => s.key === site.key);
  }
}

export class SiteRotation {
  private failures = 0;
  /** The last reason each site failed in this walk, in the order the sites first failed. */
  private readonly reasons = new Map<string, { label: string; reason: string }>();

  /** maxRounds: tryReconnectNums; -1 never gives up. */
  constructor(
    private readonly list: SiteList,
    private readonly maxRounds: number,
  ) {}

  /** Records that `site` failed and returns the site to try next: the one after it. */
  failed(site: SiteAddress, reason: string): SiteAddress {
    this.failures++;
    this.reasons.delete(site.key); // re-inserted last: the message lists sites in the order they last failed
    this.reasons.set(site.key, { label: this.list.add(site).label, reason });
    return this.list.after(site);
  }

  get failedAttempts(): number {
    return this.failures;
  }

  /** Complete passes over every site so far. */
  get roundsDone(): number {
    return Math.floor(this.failures / this.list.size);
  }

  /** True when the last failure ended a pass over every site (wait reconnectIntervalMs before the next). */
  get roundJustEnded(): boolean {
    return this.failures > 0 && this.failures % this.list.size === 0;
  }

  get exhausted(): boolean {
    return this.maxRounds >= 0 && this.roundsDone >= Math.max(1, this.maxRounds);
  }

  /** "site (reason); site (reason)", each site with the last reason it failed. */
  describe(): string {
    return [...this.reasons.values()].map((r) => `${r.label} (${r.reason})`).join('; ');
  }
}
