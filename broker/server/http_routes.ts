// Plain HTTP on the node's port: each path maps to a route (a function from request to response,
// maybe async). The adapter reads everything it needs from the request before the first await
// (uWebSockets.js requests live on the stack), registers onAborted, and corks the late write.

import { STATUS_CODES } from 'node:http';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { messageOf } from '../../storage/state/errors.js';
import type { HttpReply, HttpRequestInfo, HttpRoute } from './node_server.js';

export function registerHttpRoutes(app: TemplatedApp, routes: ReadonlyMap<string, HttpRoute>, onRouteError: (path: string, err: unknown) => void): void {
  for (const [path, route] of routes) {
    app.any(path, (res, req) => serve(res, requestInfo(req), route, (err) => onRouteError(path, err)));
  }
  app.any('/*', (res, req) => {
    writeReply(res, { status: 404, contentType: 'text/plain', body: `no route for ${req.getUrl()}\n` });
  });
}

function requestInfo(req: HttpRequest): HttpRequestInfo {
  const headers: Record<string, string> = {};
  req.forEach((key, value) => {
    headers[key] = value;
  });
  return { method: req.getMethod().toUpperCase(), url: req.getUrl(), query: req.getQuery() ?? '', headers };
}

function serve(res: HttpResponse, request: HttpRequestInfo, route: HttpRoute, onError: (err: unknown) => void): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  const fail = (err: unknown): void => {
    onError(err);
    if (aborted) return;
    try {
      res.cork(() => writeReply(res, { status: 500, contentType: 'text/plain', body: `<INTERNAL> ${messageOf(err)}\n` }));
    } catch {
      // The reply was half written when the route's value turned out bad; the error is already reported.
    }
  };
  let reply: ReturnType<HttpRoute>;
  try {
    reply = route(request);
  } catch (err) {
    fail(err);
    return;
  }
  Promise.resolve(reply).then((r) => {
    if (!isHttpReply(r)) throw new TypeError(`the route for ${request.url} returned ${String(r)}, not { status, contentType, body }`);
    if (!aborted) res.cork(() => writeReply(res, r));
  }).catch(fail);
}

function writeReply(res: HttpResponse, reply: HttpReply): void {
  res.writeStatus(`${reply.status} ${STATUS_CODES[reply.status] ?? ''}`).writeHeader('content-type', reply.contentType).end(reply.body);
}

function isHttpReply(value: unknown): value is HttpReply {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as HttpReply;
  return Number.isInteger(r.status) && r.status >= 100 && r.status <= 599 && typeof r.contentType === 'string' && (typeof r.body === 'string' || r.body instanceof Uint8Array);
}
