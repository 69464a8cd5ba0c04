/**
 * Local Akamai API emulator on loopback (node:http). Every request is EdgeGrid-verified with
 * core/edgegrid/verify.ts, then dispatched through a route table (routes.ts).
 * APIs: Fast Purge v3 (fast-purge.ts), IAM self-credentials (iam-credentials.ts), EdgeKV tokens
 * (edgekv-tokens.ts) and EdgeWorkers versions/activations (edgeworkers.ts), each a route list built
 * from the same SandboxContext. Only ACTIVE, unexpired IAM credentials may sign (iam-credentials.ts).
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import { SeenNonces, parseAuthorization, verifyEdgeGridRequest, type VerifyFailureReason } from "../core/edgegrid/verify";
import { edgeKvTokenRoutes } from "./edgekv-tokens";
import { edgeWorkersRoutes } from "./edgeworkers";
import { FastPurgeBuckets, fastPurgeRoutes, type FastPurgeOptions } from "./fast-purge";
import { FaultQueue, describeFault, type FaultRule } from "./faults";
import { SandboxIam, type IamOptions } from "./iam-credentials";
import { gatewayProblem, purgeProblem } from "./problem";
import { matchRoute, type Route, type RouteResponse, type SandboxContext } from "./routes";
import { emptyState, type EdgeKvTokenKind, type SandboxClient, type SandboxEdgeKvToken, type SandboxState } from "./state";
import { closeServer, listen } from "./loopback-server";

/** Akamai does not publish its allowed clock skew; 30 s keeps tests honest about clocks. */
export const DEFAULT_MAX_SKEW_SECONDS = 30;

/** Bodies beyond this are not read at all (Fast Purge stops at 50,000 bytes, EdgeWorkers at 512 KB). */
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
  /** IAM self-credentials: the cap on credentials per API client (default 5). */
  iam?: IamOptions;
  edgeKv?: {
    /** What token create makes (default "enhanced"); also settable later on state.edgeKv.createKind. */
    tokenKind?: EdgeKvTokenKind;
    /** Time until a new enhanced token's tokenActivationStatus is COMPLETE (default 0: at once). */
    tokenActivationMs?: number;
    /** Tokens the account starts with (default none; seed-tokens.ts has the `npm run sandbox` defaults). */
    tokens?: SandboxEdgeKvToken[];
  };
  /** Sees every request and the answer it got, as on the wire (contract tests validate both). */
  onExchange?: (exchange: SandboxExchange) => void;
  edgeWorkers?: {
    /** EdgeWorker ids that exist (default none). */
    ids?: number[];
    /** Time from an activation request to its outcome (default 0: at once). */
    activationMs?: number;
  };
}

/** One request and its answer; `body` is the parsed JSON answer when it was JSON. */
export interface SandboxExchange {
  request: { method: string; path: string; query: URLSearchParams; contentType: string | undefined; body: Buffer };
  response: { status: number; contentType: string; body: unknown; rawBody: Buffer };
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
  for (const [name, value] of [
    ["edgeKv.tokenActivationMs", options.edgeKv?.tokenActivationMs],
    ["edgeWorkers.activationMs", options.edgeWorkers?.activationMs],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0))
      throw new RangeError(`${name} must be a non-negative number`);
  }
  context.state.edgeKv.createKind = options.edgeKv?.tokenKind ?? "enhanced";
  context.state.edgeKv.tokenActivationMs = options.edgeKv?.tokenActivationMs ?? 0;
  context.state.edgeKv.tokens.push(...(options.edgeKv?.tokens ?? []).map((token) => ({ ...token })));
  context.state.edgeWorkers.ids = [...(options.edgeWorkers?.ids ?? [])];
  context.state.edgeWorkers.activationMs = options.edgeWorkers?.activationMs ?? 0;
  const iam = new SandboxIam(context, now(), options.iam);
  const faults = new FaultQueue();
  faults.set(options.faults ?? []);
  const seenNonces = new SeenNonces();
  const buckets = new FastPurgeBuckets({ timeScale, startMs: now(), ...(options.buckets ? { buckets: options.buckets } : {}) });
  const routes: Route[] = [
    ...fastPurgeRoutes(context, buckets),
    ...iam.routes(),
    ...edgeKvTokenRoutes(context),
    ...edgeWorkersRoutes(context),
  ];
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
      const full = response.rawBody ?? Buffer.from(response.body === undefined ? "" : JSON.stringify(response.body), "utf8");
      const payload = corrupt ? full.subarray(0, Math.max(1, Math.floor(full.length / 2))) : full;
      const contentType = response.contentType ?? "application/json";
      res.writeHead(response.status, {
        ...response.headers,
        "Content-Type": contentType,
        "Content-Length": String(payload.length),
      });
      res.end(payload);
      options.onExchange?.({
        request: { method, path, query: requestUrl.searchParams, contentType: req.headers["content-type"], body: requestBody },
        response: {
          status: response.status,
          contentType,
          body: response.rawBody === undefined ? response.body : undefined,
          rawBody: payload,
        },
      });
    };

    const { body, tooLarge } = await readBody(req);
    const requestBody = body;
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
      const problem = purgeProblem(
        fault.status,
        "Injected fault",
        "The sandbox answered with an injected status",
        context.newId("edcp-"),
      );
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
      lookupClient: (clientToken) => iam.signer(clientToken, now()),
      now: new Date(now()),
      maxSkewSeconds,
      seenNonces,
    });
    let response: RouteResponse;
    if (!verification.ok) {
      // A credential the sandbox knows but refuses (INACTIVE, DELETED, expired) gets the gateway's wording for it.
      const signerToken =
        verification.reason === "unknown_client"
          ? parseAuthorization(String(req.headers.authorization ?? ""))?.clientToken
          : undefined;
      const refusal = signerToken !== undefined ? iam.refusal(signerToken, now()) : undefined;
      response = gatewayProblem(401, "Not authorized", refusal ?? AUTH_DETAILS[verification.reason], instance, "pep-authn/deny");
      record(401, {
        authFailure: refusal !== undefined ? "inactive_credential" : verification.reason,
        ...(faultName ? { fault: faultName } : {}),
      });
      send(response, fault?.malformedJson === true);
      return;
    }
    if (tooLarge) {
      response = purgeProblem(
        413,
        "Request Entity Too Large",
        `The request body is over ${MAX_READ_BYTES} bytes`,
        context.newId("edcp-"),
      );
    } else {
      const match = matchRoute(routes, method, path);
      if (match.kind === "found") {
        response = match.route.handle(
          {
            method,
            path,
            query: requestUrl.searchParams,
            headers: req.headers,
            body,
            clientToken: verification.clientToken,
            nowMs: now(),
          },
          match.params,
        );
      } else if (match.kind === "method_not_allowed") {
        response = gatewayProblem(
          405,
          "Method Not Allowed",
          `Allowed: ${match.allowed.join(", ")}`,
          instance,
          "sandbox/method-not-allowed",
        );
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

  const port = await listen(server, host, options.port);
  return {
    url: `http://${host}:${port}`,
    port,
    state: context.state,
    setFaults: (rules) => faults.set(rules),
    pendingFaults: () => faults.pending(),
    close: () => closeServer(server, delays),
  };
}
