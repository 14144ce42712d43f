// The calls connections of a client: at most one per site, opened when a call first goes there,
// logged in with the client's credentials, and handed to the user's `startup` before any call uses
// it. A connection that closes leaves the pool (the next call to that site opens a new one), unless
// the pool does not reopen (a client without highAvailability or reconnect keeps its one connection,
// and calls on it fail once it is closed, as before).

import { Method, ReplyOf, RequestOf } from '../broker/protocol/methods.js';
import { messageOf } from '../storage/state/errors.js';
import { ShoalError } from './shoal_error.js';
import { SiteAddress } from './site_list.js';
import { WireConnection, WireConnectionOptions, WireConnectionStats } from './wire_connection.js';

/** What `startup` gets: the new connection, logged in, before any other call uses it. No failover here. */
export interface StartupSession {
  /** "host:port" of the site the connection goes to. */
  readonly address: string;
  /** Sends one request on this connection only, e.g. call('getStreamingLeader', { groupId: 2 }). */
  call<M extends Method>(method: M, body: RequestOf<M>): Promise<ReplyOf<M>>;
  getStreamingRaftGroups(): Promise<Array<{ id: number; sites: string[] }>>;
  /** The group's leader as "host:port:alias"; '' while none is known. */
  getStreamingLeader(groupId: number): Promise<string>;
  listTables(): Promise<Array<{ name: string; raftGroup: number; rows: number; ha: boolean }>>;
}

export type Startup = (session: StartupSession) => Promise<void> | void;

export interface ConnectionPoolOptions {
  wire: Omit<WireConnectionOptions, 'host' | 'port'>;
  credentials(): { userId: string; password: string } | undefined;
  startup: Startup | undefined;
  /** false: each site's first connection is its only one, also once closed. */
  reopen: boolean;
}

export class ConnectionPool {
  private readonly bySite = new Map<string, Promise<WireConnection>>();
  private readonly open = new Set<WireConnection>();
  private readonly retiredStats: WireConnectionStats = { malformedFrames: 0, lateReplies: 0, listenerErrors: 0 };
  private closed = false;
  /** Connections opened (each logged in and started up); a test counts startups with it. */
  opened = 0;

  constructor(private readonly o: ConnectionPoolOptions) {}

  /** The site's connection, opened (login, startup) if there is none; rejects when that fails. */
  get(site: SiteAddress): Promise<WireConnection> {
    if (this.closed) return Promise.reject(clientClosed());
    let conn = this.bySite.get(site.key);
    if (conn === undefined) {
      conn = this.openAt(site);
      this.bySite.set(site.key, conn);
      conn.catch(() => {
        if (this.bySite.get(site.key) === conn) this.bySite.delete(site.key);
      });
    }
    return conn;
  }

  /** Every connection open now (for a login after connect). */
  get connections(): readonly WireConnection[] {
    return [...this.open];
  }

  /** Frames dropped, late replies and listener errors summed over every connection, closed ones too. */
  get stats(): WireConnectionStats {
    const sum = { ...this.retiredStats };
    for (const c of this.open) {
      sum.malformedFrames += c.stats.malformedFrames;
      sum.lateReplies += c.stats.lateReplies;
      sum.listenerErrors += c.stats.listenerErrors;
    }
    return sum;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.bySite.values()];
    this.bySite.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
  }

  private async openAt(site: SiteAddress): Promise<WireConnection> {
    const conn = await WireConnection.open({ ...this.o.wire, host: site.host, port: site.port });
    this.open.add(conn);
    conn.onClose = () => this.retire(site, conn);
    try {
      const credentials = this.o.credentials();
      if (credentials !== undefined) await conn.call('login', credentials);
      if (this.o.startup !== undefined) await runStartup(this.o.startup, conn);
    } catch (err) {
      await conn.close();
      throw err;
    }
    if (this.closed) {
      await conn.close();
      throw clientClosed();
    }
    this.opened++;
    return conn;
  }

  private retire(site: SiteAddress, conn: WireConnection): void {
    this.open.delete(conn);
    this.retiredStats.malformedFrames += conn.stats.malformedFrames;
    this.retiredStats.lateReplies += conn.stats.lateReplies;
    this.retiredStats.listenerErrors += conn.stats.listenerErrors;
    if (!this.o.reopen) return;
    const current = this.bySite.get(site.key);
    if (current !== undefined) {
      void current.then((c) => {
        if (c === conn && this.bySite.get(site.key) === current) this.bySite.delete(site.key);
      }, () => {});
    }
  }
}

async function runStartup(startup: Startup, conn: WireConnection): Promise<void> {
  const session: StartupSession = {
    address: conn.address,
    call: async (method, body) => (await conn.call(method, body)).body,
    getStreamingRaftGroups: async () => (await conn.call('getStreamingRaftGroups', {})).body.groups,
    getStreamingLeader: async (groupId) => (await conn.call('getStreamingLeader', { groupId })).body.leader,
    listTables: async () => (await conn.call('listTables', {})).body.tables,
  };
  try {
    await startup(session);
  } catch (err) {
    throw new ShoalError('StartupFailed', `the startup callback failed on ${conn.address}: ${messageOf(err)}; fix it (it runs on every new connection)`, { cause: err });
  }
}

export function clientClosed(): ShoalError {
  return new ShoalError('ConnectionClosed', 'the client is closed; connect() again', { outcome: 'notSent' });
}
