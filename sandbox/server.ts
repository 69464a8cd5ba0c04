/**
 * Local Akamai API emulator on loopback (node:http). Every request is EdgeGrid-verified with
 * functions/lib/edgegrid/verify.ts, then dispatched through a route table (routes.ts).
 * APIs: Fast Purge v3 (fast-purge.ts). EdgeKV, IAM self-credentials and EdgeWorkers come later as
 * more route lists built from the same SandboxContext.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SeenNonces, verifyEdgeGridRequest, type VerifyFailureReason } from "../functions/lib/edgegrid/verify";
import { FastPurgeBuckets, fastPurgeRoutes, type FastPurgeOptions } from "./fast-purge";
import { FaultQueue, describeFault, type FaultRule } from "./faults";
import { gatewayProblem, purgeProblem } from "./problem";
import { matchRoute, type Route, type RouteResponse, type SandboxContext } from "./routes";
import { emptyState, type SandboxClient, type SandboxState } from "./state";

/** Akamai does not publish its allowed clock skew; 30 s keeps tests honest about clocks. */
export const DEFAULT_MAX_SKEW_SECONDS = 30;

/** Bodies beyond this are not read at all (Fast Purge itself stops at 50,000 bytes with a 413). */
const MAX_READ_BYTES = 1024 * 1024;

export interface SandboxOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default "127.0.0.1"; "localhost" is the only other choice. */
  host?: string;
  clients: SandboxClient[];
  /** Multiplies every rate-limit refill rate, so benchmarks do not wait in real time. Default 1. */
  timeScale?: number;
  /** Faults to start with; see faults.ts. */
  faults?: FaultRule[];
  /** Override bucket sizes/rates (before timeScale). */
  buckets?: FastPurgeOptions["buckets"];
  /** Default 30 (DEFAULT_MAX_SKEW_SECONDS). */
  maxSkewSeconds?: number;
  /** Clock in epoch ms for signature timestamps and buckets; default Date.now. Tests pass a fake. */
  now?: () => number;
}

export interface Sandbox {
  /** e.g. "http://127.0.0.1:41234" (use as the credential host with EDGEPLANE_INSECURE_LOOPBACK=1). */
  url: string;
  port: number;
  state: SandboxState;
  /** Replaces the pending faults. */
  setFaults(rules: FaultRule[]): void;
  pendingFaults(): ReturnType<FaultQueue["pending"]>;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

// The same two names host-safety.ts lets a credential point at.
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost"]);

/** Akamai-like wording for each verification failure (seen in real 401 answers; emulation only). */
const AUTH_DETAILS: Record<VerifyFailureReason, string> = {
  malformed_header: "Invalid authorization header",
  unknown_client: "Invalid authorization client token",
  bad_signature: "The signature does not match",
  timestamp_skew: "Invalid timestamp",
  content_hash_mismatch: "The signature does not match (content hash differs from the body's)",
  replayed_nonce: "Invalid authorization nonce (already used)",
};

function readBody(req: http.IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_READ_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve({ body: Buffer.concat(chunks), tooLarge }));
    req.on("error", reject);
  });
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const host = options.host ?? "127.0.0.1";
  if (!LOOPBACK_HOSTS.has(host)) throw new RangeError("the sandbox only listens on loopback (127.0.0.1 or localhost)");
  const now = options.now ?? Date.now;
  const maxSkewSeconds = options.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS;
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new RangeError("timeScale must be a positive number");

  const context: SandboxContext = {
    clients: new Map(options.clients.map((client) => [client.clientToken, { ...client }])),
    state: emptyState(),
    newId: (prefix) => `${prefix}${randomBytes(16).toString("base64url").slice(0, 22)}`,
  };
  const faults = new FaultQueue();
  faults.set(options.faults ?? []);
  const seenNonces = new SeenNonces();
  const buckets = new FastPurgeBuckets({ timeScale, startMs: now(), ...(options.buckets ? { buckets: options.buckets } : {}) });
  const routes: Route[] = [...fastPurgeRoutes(context, buckets)];
  // Pending fault delays, cancelled on close so no timer outlives the sandbox.
  const delays = new Set<NodeJS.Timeout>();
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        delays.delete(timer);
        resolve();
      }, ms);
      delays.add(timer);
    });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const method = req.method ?? "GET";
    const target = req.url ?? "/";
    const requestUrl = new URL(target, "http://sandbox.invalid");
    const path = requestUrl.pathname;
    const hostHeader = req.headers.host ?? "";
    const instance = `http://${hostHeader}${path}`;
    const record = (status: number | "dropped", extra: { fault?: string; authFailure?: string } = {}): void => {
      context.state.requests.push({ method, path, status, ...extra });
    };
    const send = (response: RouteResponse, corrupt = false): void => {
      const json = response.body === undefined ? "" : JSON.stringify(response.body);
      const payload = corrupt ? json.slice(0, Math.max(1, Math.floor(json.length / 2))) : json;
      res.writeHead(response.status, {
        ...response.headers,
        "Content-Type": response.contentType ?? "application/json",
        "Content-Length": String(Buffer.byteLength(payload)),
      });
      res.end(payload);
    };

    const { body, tooLarge } = await readBody(req);
    const fault = faults.take(path);
    const faultName = fault ? describeFault(fault) : undefined;
    if (fault?.delayMs) {
      await sleep(fault.delayMs);
      if (req.socket.destroyed) {
        record("dropped", { fault: `${faultName} (client left)` });
        return;
      }
    }
    if (fault?.dropConnection) {
      record("dropped", { fault: faultName });
      req.socket.destroy();
      return;
    }
    if (fault?.status !== undefined) {
      const problem = purgeProblem(fault.status, "Injected fault", "The sandbox answered with an injected status", context.newId("edcp-"));
      record(fault.status, { fault: faultName });
      send(problem, fault.malformedJson === true);
      return;
    }

    const verification = verifyEdgeGridRequest({
      method,
      pathAndQuery: target,
      host: hostHeader,
      scheme: "http",
      headers: req.headers,
      body,
      lookupClient: (clientToken) => context.clients.get(clientToken),
      now: new Date(now()),
      maxSkewSeconds,
      seenNonces,
    });
    let response: RouteResponse;
    if (!verification.ok) {
      response = gatewayProblem(401, "Not authorized", AUTH_DETAILS[verification.reason], instance, "pep-authn/deny");
      record(401, { authFailure: verification.reason, ...(faultName ? { fault: faultName } : {}) });
      send(response, fault?.malformedJson === true);
      return;
    }
    if (tooLarge) {
      response = purgeProblem(413, "Request Entity Too Large", `The request body is over ${MAX_READ_BYTES} bytes`, context.newId("edcp-"));
    } else {
      const match = matchRoute(routes, method, path);
      if (match.kind === "found") {
        response = match.route.handle(
          { method, path, query: requestUrl.searchParams, headers: req.headers, body, clientToken: verification.clientToken, nowMs: now() },
          match.params,
        );
      } else if (match.kind === "method_not_allowed") {
        response = gatewayProblem(405, "Method Not Allowed", `Allowed: ${match.allowed.join(", ")}`, instance, "sandbox/method-not-allowed");
        response.headers = { Allow: match.allowed.join(", ") };
      } else {
        response = gatewayProblem(404, "Not Found", "The sandbox has no API at this path", instance, "sandbox/not-found");
      }
    }
    record(response.status, faultName ? { fault: faultName } : {});
    send(response, fault?.malformedJson === true);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/problem+json" });
        res.end(JSON.stringify({ title: "Sandbox error", status: 500 }));
      } else {
        res.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    state: context.state,
    setFaults: (rules) => faults.set(rules),
    pendingFaults: () => faults.pending(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        delays.forEach(clearTimeout);
        delays.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
