// Plain HTTP on the node's port: each path maps to a route (a function from request to response,
// maybe async). The adapter reads everything it needs from the request before the first await
// (uWebSockets.js requests live on the stack), registers onAborted, and corks the late write.
// A POST, PUT or PATCH body is collected (bounded) before the route runs.

import { STATUS_CODES } from 'node:http';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { messageOf } from '../../storage/state/errors.js';
import type { HttpReply, HttpRequestInfo, HttpRoute } from './node_server.js';

/** Request bodies are small JSON documents (a login); anything longer is refused with 413. */
export const MAX_HTTP_BODY_BYTES = 64 * 1024;
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

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
  if (METHODS_WITH_BODY.has(request.method)) {
    readBody(res, (body) => {
      if (aborted) return;
      if (body === undefined) {
        res.cork(() => writeReply(res, { status: 413, contentType: 'text/plain', body: `the request body is over ${MAX_HTTP_BODY_BYTES} bytes\n` }));
        return;
      }
      run({ ...request, body }, route, () => aborted, res, onError);
    });
    return;
  }
  run(request, route, () => aborted, res, onError);
}

/** Calls `done` once: with the body, or with undefined as soon as it passes MAX_HTTP_BODY_BYTES. */
function readBody(res: HttpResponse, done: (body: Uint8Array | undefined) => void): void {
  const chunks: Uint8Array[] = [];
  let length = 0;
  let finished = false;
  res.onData((chunk, isLast) => {
    if (finished) return;
    length += chunk.byteLength;
    if (length > MAX_HTTP_BODY_BYTES) {
      finished = true;
      done(undefined);
      return;
    }
    chunks.push(new Uint8Array(chunk.slice(0))); // the ArrayBuffer dies with this callback
    if (isLast) {
      finished = true;
      done(Buffer.concat(chunks));
    }
  });
}

function run(request: HttpRequestInfo, route: HttpRoute, isAborted: () => boolean, res: HttpResponse, onError: (err: unknown) => void): void {
  const fail = (err: unknown): void => {
    onError(err);
    if (isAborted()) return;
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
    if (!isAborted()) res.cork(() => writeReply(res, r));
  }).catch(fail);
}

function writeReply(res: HttpResponse, reply: HttpReply): void {
  res.writeStatus(`${reply.status} ${STATUS_CODES[reply.status] ?? ''}`).writeHeader('content-type', reply.contentType);
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.writeHeader(name, value);
  res.end(reply.body);
}

function isHttpReply(value: unknown): value is HttpReply {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as HttpReply;
  const headersOk = r.headers === undefined || (typeof r.headers === 'object' && r.headers !== null && Object.values(r.headers).every((v) => typeof v === 'string'));
  return Number.isInteger(r.status) && r.status >= 100 && r.status <= 599 && typeof r.contentType === 'string' && (typeof r.body === 'string' || r.body instanceof Uint8Array) && headersOk;
}
