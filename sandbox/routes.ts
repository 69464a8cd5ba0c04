/**
 * The sandbox's route table. Each API (Fast Purge, IAM self-credentials, EdgeKV tokens, EdgeWorkers)
 * contributes a list of routes built from the shared SandboxContext.
 * Handlers are synchronous, plain functions of the already verified request.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { SandboxClient, SandboxState } from "./state";

export interface RouteRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The EdgeGrid client that signed the request. */
  clientToken: string;
  /** Sandbox clock, milliseconds. */
  nowMs: number;
}

export interface RouteResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialized as JSON; omitted when undefined. */
  body?: unknown;
  /** Sent as is instead of `body` (e.g. a .tgz); give contentType with it. */
  rawBody?: Buffer;
  /** Default "application/json". */
  contentType?: string;
}

export interface Route {
  method: string;
  /** Matched against the whole path; capture groups become params. */
  pattern: RegExp;
  handle(request: RouteRequest, params: string[]): RouteResponse;
}

/** What route factories get: shared state plus the clients (IAM routes will add and remove some). */
export interface SandboxContext {
  clients: Map<string, SandboxClient>;
  state: SandboxState;
  newId(prefix: string): string;
}

export type RouteMatch =
  | { kind: "found"; route: Route; params: string[] }
  | { kind: "method_not_allowed"; allowed: string[] }
  | { kind: "not_found" };

export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
  const allowed: string[] = [];
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    if (route.method === method) return { kind: "found", route, params: m.slice(1).map((p) => p ?? "") };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { kind: "method_not_allowed", allowed } : { kind: "not_found" };
}
