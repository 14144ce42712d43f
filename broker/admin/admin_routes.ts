// The admin HTTP routes of a data node, on its one port: the JSON API (behind the login), the login
// itself, and the cluster page (served to anyone: it holds no data, only the login form and the script).
// The page may fail over to another node and call it from its first node's origin, so every route
// answers CORS for the origins of the cluster's own nodes, and for them only.

import type { ClusterConfig } from '../../config/index.js';
import type { HttpReply, HttpRequestInfo, HttpRoute } from '../server/node_server.js';
import { AdminError, errorReply, jsonReply } from './admin_error.js';
import { groupsJson, nodesJson, peersJson, subscriptionsJson, tablesJson } from './admin_json.js';
import { ClusterSnapshot, LiveNodeParts, liveSnapshot } from './cluster_snapshot.js';
import { LoginGate, PAGE_HEADER } from './login_gate.js';
import { PAGE_HTML } from './page/index_html.js';
import { PAGE_SCRIPT } from './page/app_js.js';

export interface AdminRoutesOptions {
  login: LoginGate;
  /** This node's view, read fresh for every request. */
  snapshot(): ClusterSnapshot;
  /** `http://host:port` of every node of the cluster: the only origins allowed cross-origin calls. */
  nodeOrigins: readonly string[];
}

/** How long a browser may reuse a preflight answer, so a failed-over page does not double its requests. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

export function adminRoutes(o: AdminRoutesOptions): Array<[string, HttpRoute]> {
  const origins = new Set(o.nodeOrigins);
  const api = (build: (s: ClusterSnapshot) => object): HttpRoute => o.login.requireLogin((req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return errorReply(new AdminError('MethodNotAllowed', `${req.url} is read with GET`));
    return jsonReply(build(o.snapshot()));
  });
  const contentSecurity = [
    "default-src 'self'", `connect-src 'self' ${[...origins].join(' ')}`, "style-src 'self' 'unsafe-inline'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'",
  ].join('; ');
  const staticFile = (contentType: string, body: string): HttpRoute => () => ({
    status: 200, contentType, body,
    headers: { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'content-security-policy': contentSecurity },
  });
  const routes: Array<[string, HttpRoute]> = [
    ['/', staticFile('text/html; charset=utf-8', PAGE_HTML)],
    ['/app.js', staticFile('text/javascript; charset=utf-8', PAGE_SCRIPT)],
    ['/info/peers', api(peersJson)],
    ['/api/groups', api(groupsJson)],
    ['/api/tables', api(tablesJson)],
    ['/api/subscriptions', api(subscriptionsJson)],
    ['/api/nodes', api(nodesJson)],
    ['/api/login', (req) => o.login.login(req)],
    ['/api/logout', (req) => o.login.logout(req)],
  ];
  return routes.map(([path, route]) => [path, withCors(origins, route)]);
}

/** The admin routes of a running data node: its live state, its users, the origins of its cluster's data nodes. */
export function dataNodeAdminRoutes(login: LoginGate, cluster: ClusterConfig, parts: Omit<LiveNodeParts, 'dataNodeIds'>): Array<[string, HttpRoute]> {
  // Node ids are 1-based positions in cluster.nodes (NodeDirectory); only data nodes serve this API.
  const dataNodes = cluster.nodes.nodes.map((n, i) => ({ id: i + 1, node: n })).filter(({ node }) => node.mode === 'datanode');
  const nodeOrigins = dataNodes.map(({ node }) => `http://${node.host}:${node.port}`);
  const live: LiveNodeParts = { ...parts, dataNodeIds: dataNodes.map(({ id }) => id) };
  return adminRoutes({ login, nodeOrigins, snapshot: () => liveSnapshot(live) });
}

/** The cookie of a node's admin session: cookies ignore ports, so two nodes on one host need two names. */
export function sessionCookieName(port: number): string {
  return `shoal_session_${port}`;
}

/** Answers preflights, and lets a page of another node of the cluster read the reply (with its cookie). */
export function withCors(origins: ReadonlySet<string>, route: HttpRoute): HttpRoute {
  return async (req: HttpRequestInfo): Promise<HttpReply> => {
    const origin = req.headers['origin'];
    const allowed = origin !== undefined && origins.has(origin);
    const cors: Record<string, string> = allowed ? { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'origin' } : { vary: 'origin' };
    if (req.method === 'OPTIONS') {
      return {
        status: 204, contentType: 'text/plain', body: '',
        headers: allowed ? {
          ...cors, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': `content-type, authorization, ${PAGE_HEADER}`,
          'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
        } : cors,
      };
    }
    const reply = await route(req);
    return { ...reply, headers: { ...reply.headers, ...cors } };
  };
}
