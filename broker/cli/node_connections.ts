// The client connections a command opens, one per node, logged in, reused across calls and closed
// together at the end. A failed connect is not cached, so the next call tries again.

import { ShoalClient, ShoalError, connect } from '../../clients/shoal_client.js';
import { CliError } from './cli_errors.js';
import { NodeAddress } from './cli_target.js';

export class NodeConnections {
  private readonly clients = new Map<string, Promise<ShoalClient>>();

  constructor(private readonly login: { user: string; password: string }, private readonly requestTimeoutMs?: number) {}

  /** A logged-in client of the node; a refused login is a CliError (it will not get better at another node). */
  open = (at: NodeAddress): Promise<ShoalClient> => {
    const key = `${at.host}:${at.port}`;
    let client = this.clients.get(key);
    if (client === undefined) {
      client = connect({
        host: at.host, port: at.port, userId: this.login.user, password: this.login.password,
        ...(this.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: this.requestTimeoutMs }),
      }).catch((err: unknown) => {
        if (err instanceof ShoalError && err.code === 'AuthFailed') throw new CliError('CLUSTER', `${at.label} refused the login: ${err.message}; check --user and --password (or SHOAL_PASSWORD)`);
        throw err;
      });
      this.clients.set(key, client);
      client.catch(() => {
        if (this.clients.get(key) === client) this.clients.delete(key);
      });
    }
    return client;
  };

  /** The first of `nodes` that lets us in, or the error of each. A refused login ends the search: every node has the same users. */
  async firstReachable(nodes: readonly NodeAddress[]): Promise<{ client: ShoalClient; at: NodeAddress } | { failures: string[] }> {
    const failures: string[] = [];
    for (const at of nodes) {
      try {
        return { client: await this.open(at), at };
      } catch (err) {
        if (err instanceof CliError) throw err;
        failures.push(`${at.label}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return { failures };
  }

  async closeAll(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(all.map(async (c) => (await c).close()));
  }
}
