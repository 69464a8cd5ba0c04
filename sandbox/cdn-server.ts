/**
 * The loopback HTTP server shared by the Fastly, Cloudflare and CloudFront emulators (fastly.ts,
 * cloudflare.ts, cloudfront.ts). It reads the body, applies injected faults (faults.ts, the same rules as
 * the Akamai sandbox), hands the request to the emulator and records every answer.
 *
 * Faults here may also carry `errorCode` (the CDN's error code for an injected status, e.g. "Throttling"
 * for CloudFront or 10000 for Cloudflare) and `retryAfterSeconds` (sent as the CDN's rate-limit headers).
 */
import http from "node:http";
import { FaultQueue, describeFault, type FaultRule } from "./faults";
import type { RouteResponse } from "./routes";
import { closeServer, listen } from "./loopback-server";

export interface CdnFaultRule extends FaultRule {
  /** The CDN's own error code for an injected status (string for CloudFront, number for Cloudflare). */
  errorCode?: string | number;
  /** For an injected 429 (or Throttling): how long the answer tells the client to wait. */
  retryAfterSeconds?: number;
}

export type CdnFault = Omit<CdnFaultRule, "pathPrefix" | "times">;

export interface EmulatorRequest {
  method: string;
  /** Path without the query, still percent-encoded as sent. */
  path: string;
  /** Path and query exactly as sent. */
  target: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Emulator clock, milliseconds. */
  nowMs: number;
}

export interface EmulatorResponse extends RouteResponse {
  /** Set when the emulator refused the credential: why (recorded, never sent). */
  authFailure?: string;
}

export interface EmulatorRequestRecord {
  method: string;
  path: string;
  /** "dropped" when a fault closed the connection without an answer. */
  status: number | "dropped";
  fault?: string;
  authFailure?: string;
}

export interface LoopbackServerOptions {
  /** Default 0: any free port. */
  port?: number;
  /** "127.0.0.1" (default) or "localhost". */
  host?: string;
  faults?: CdnFaultRule[];
  now: () => number;
  /** Where to record every request. */
  requests: EmulatorRequestRecord[];
  handle(request: EmulatorRequest): EmulatorResponse | Promise<EmulatorResponse>;
  /** The CDN's error answer for an injected status. */
  faultResponse(fault: CdnFault & { status: number }, request: EmulatorRequest): EmulatorResponse;
}

export interface LoopbackServer {
  url: string;
  port: number;
  /** Replaces the pending faults. */
  setFaults(rules: CdnFaultRule[]): void;
  pendingFaults(): ReturnType<FaultQueue["pending"]>;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost"]);
/** Bodies beyond this are not kept (no CDN purge body comes near it). */
export const MAX_READ_BYTES = 1024 * 1024;

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_READ_BYTES) chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function startLoopbackServer(options: LoopbackServerOptions): Promise<LoopbackServer> {
  const host = options.host ?? "127.0.0.1";
  if (!LOOPBACK_HOSTS.has(host))
    throw new RangeError(`the emulators only listen on loopback (127.0.0.1 or localhost), got host "${host}"`);
  const faults = new FaultQueue();
  faults.set(options.faults ?? []);
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
    const url = new URL(req.url ?? "/", "http://emulator.invalid");
    const body = await readBody(req);
    const request: EmulatorRequest = {
      method,
      path: url.pathname,
      target: req.url ?? "/",
      query: url.searchParams,
      headers: req.headers,
      body,
      nowMs: options.now(),
    };
    // FaultQueue keeps the extra CdnFaultRule fields: take() returns the rule minus pathPrefix and times.
    const fault = faults.take(url.pathname) as CdnFault | undefined;
    const faultName = fault ? describeFault(fault) : undefined;
    const record = (status: number | "dropped", extra: { fault?: string; authFailure?: string } = {}): void => {
      options.requests.push({ method, path: url.pathname, status, ...extra });
    };
    if (fault?.delayMs) {
      await sleep(fault.delayMs);
      if (req.socket.destroyed) {
        record("dropped", { fault: `${faultName} (client left)` });
        return;
      }
      request.nowMs = options.now();
    }
    if (fault?.dropConnection) {
      record("dropped", { fault: faultName });
      req.socket.destroy();
      return;
    }
    const response =
      fault?.status !== undefined
        ? options.faultResponse({ ...fault, status: fault.status }, request)
        : await options.handle(request);
    const full = response.rawBody ?? Buffer.from(response.body === undefined ? "" : JSON.stringify(response.body), "utf8");
    const payload = fault?.malformedJson === true ? full.subarray(0, Math.max(1, Math.floor(full.length / 2))) : full;
    record(response.status, {
      ...(faultName ? { fault: faultName } : {}),
      ...(response.authFailure ? { authFailure: response.authFailure } : {}),
    });
    res.writeHead(response.status, {
      // The emulator's clock, not the host's: the AWS SDK corrects its signing clock from this header, and a
      // test that fakes time must not be pulled back to the real one.
      Date: new Date(options.now()).toUTCString(),
      ...response.headers,
      "Content-Type": response.contentType ?? "application/json",
      "Content-Length": String(payload.length),
    });
    res.end(payload);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "text/plain" });
        res.end("emulator error");
      } else {
        res.destroy();
      }
    });
  });
  const port = await listen(server, host, options.port);
  return {
    url: `http://${host}:${port}`,
    port,
    setFaults: (rules) => faults.set(rules),
    pendingFaults: () => faults.pending(),
    close: () => closeServer(server, delays),
  };
}

/** The first value of a header (node joins repeated ones or gives arrays for some). */
export function headerValue(headers: http.IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Checks a clock/time-scale option pair the emulators share. */
export function checkTimeScale(timeScale: number | undefined): number {
  const scale = timeScale ?? 1;
  if (!(Number.isFinite(scale) && scale > 0))
    throw new RangeError(`timeScale must be a positive number, got ${String(timeScale)}`);
  return scale;
}
