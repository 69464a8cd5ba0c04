/**
 * Signed HTTP calls to Akamai APIs over node:http/https with a keep-alive agent.
 *
 * Every HTTP status comes back as a response (the purge sender reads 201/429/4xx/5xx itself).
 * Only two things throw: EdgeGridNetworkError when no response arrived (timeout, reset, refused),
 * and EdgeGridResponseFormatError when a JSON response cannot be parsed. Errors carry the method,
 * the path (without query) and an error code, never headers, bodies, tokens or secrets.
 */
import http from "node:http";
import https from "node:https";
import type { EdgeGridCredentials } from "./credentials";
import { resolveEdgeGridEndpoint, type EdgeGridEndpoint } from "./host-safety";
import { formatTimestamp, makeNonce, signRequest } from "./sign";

export type QueryValue = string | number | boolean | undefined;

export interface EdgeGridRequest {
  method: string;
  /** Absolute path on the credential host, e.g. "/ccu/v3/invalidate/url/production". */
  path: string;
  /** Appended to the path; undefined values are skipped. */
  query?: Record<string, QueryValue | QueryValue[]> | URLSearchParams;
  /** Objects are sent as JSON; strings as UTF-8; Buffers as they are. Content-Type defaults to
   *  application/json (objects, strings) or application/octet-stream (Buffers) unless given in headers. */
  body?: object | string | Buffer;
  headers?: Record<string, string>;
  /** Overall time for this request, from start to the last response byte. */
  timeoutMs?: number;
}

export interface EdgeGridResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Parsed JSON when the response is JSON (undefined when empty), else the text. */
  body: unknown;
  rawBody: Buffer;
}

export type NetworkFailure = "timeout" | "connect_timeout" | "reset" | "refused" | "dns" | "other";

/** No (complete) response arrived. The request may still have reached the server. */
export class EdgeGridNetworkError extends Error {
  override name = "EdgeGridNetworkError";
  readonly retryable = true;
  constructor(
    readonly kind: NetworkFailure,
    readonly method: string,
    readonly path: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(`${method} ${path} failed: ${message}`);
  }
}

/** The response said it was JSON but was not. The status is kept: a 201 may still mean "accepted". */
export class EdgeGridResponseFormatError extends Error {
  override name = "EdgeGridResponseFormatError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly bodyLength: number,
  ) {
    // The body is not quoted: a response may carry secrets (e.g. a newly created credential).
    super(
      `${method} ${path}: HTTP ${status} response is not valid JSON (${bodyLength} bytes, content-type ${headers["content-type"] ?? "none"})`,
    );
  }
}

export interface EdgeGridTransportOptions {
  credentials: EdgeGridCredentials;
  /** Overall request timeout; default 30 s. */
  timeoutMs?: number;
  /** Time allowed to open a new connection; default 5 s. */
  connectTimeoutMs?: number;
  /** Concurrent sockets to the host; default 10. */
  maxSockets?: number;
  userAgent?: string;
  headersToSign?: readonly string[];
  /** Read for EDGEPLANE_INSECURE_LOOPBACK (host-safety.ts); default process.env. */
  env?: Record<string, string | undefined>;
  /** Clock used for signing timestamps; default Date.now. */
  now?: () => number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

function networkKind(code: string | undefined): NetworkFailure {
  switch (code) {
    case "ECONNREFUSED":
      return "refused";
    case "ECONNRESET":
    case "EPIPE":
    case "ECONNABORTED":
      return "reset";
    case "ETIMEDOUT":
      return "timeout";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "dns";
    default:
      return "other";
  }
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function isJson(contentType: string | undefined): boolean {
  // application/json, application/problem+json, application/api-problem+json
  return contentType !== undefined && /^application\/([\w.-]+\+)?json\b/i.test(contentType.trim());
}

export function encodeBody(body: EdgeGridRequest["body"]): { bytes: Buffer | undefined; contentType: string | undefined } {
  if (body === undefined) return { bytes: undefined, contentType: undefined };
  if (Buffer.isBuffer(body)) return { bytes: body, contentType: "application/octet-stream" };
  if (typeof body === "string") return { bytes: Buffer.from(body, "utf8"), contentType: "application/json" };
  return { bytes: Buffer.from(JSON.stringify(body), "utf8"), contentType: "application/json" };
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name.toLowerCase());
}

export class EdgeGridTransport {
  private readonly endpoint: EdgeGridEndpoint;
  private readonly agent: http.Agent;
  private readonly options: EdgeGridTransportOptions;

  /** Throws EdgeGridHostError when the credential host is not an allowed Akamai API host. */
  constructor(options: EdgeGridTransportOptions) {
    this.options = options;
    this.endpoint = resolveEdgeGridEndpoint(options.credentials.host, options.env ?? process.env);
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 10 };
    this.agent = this.endpoint.scheme === "https" ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  get baseUrl(): string {
    return this.endpoint.baseUrl;
  }

  /** Closes idle keep-alive sockets; in-flight requests are not affected. */
  close(): void {
    this.agent.destroy();
  }

  buildUrl(path: string, query?: EdgeGridRequest["query"]): URL {
    if (!path.startsWith("/") || path.startsWith("//")) {
      throw new TypeError(`EdgeGrid request path must start with a single "/"`);
    }
    const url = new URL(path, this.endpoint.baseUrl);
    if (url.origin !== this.endpoint.baseUrl) throw new TypeError("EdgeGrid request path must stay on the credential host");
    if (query instanceof URLSearchParams) {
      for (const [key, value] of query) url.searchParams.append(key, value);
    } else if (query) {
      for (const [key, value] of Object.entries(query)) {
        for (const item of Array.isArray(value) ? value : [value]) {
          if (item !== undefined) url.searchParams.append(key, String(item));
        }
      }
    }
    return url;
  }

  request(req: EdgeGridRequest): Promise<EdgeGridResponse> {
    const method = req.method.toUpperCase();
    const url = this.buildUrl(req.path, req.query);
    const { bytes, contentType } = encodeBody(req.body);

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers ?? {})) {
      // The transport owns these two.
      if (!["authorization", "content-length"].includes(name.toLowerCase())) headers[name] = value;
    }
    if (!hasHeader(headers, "accept")) headers.Accept = "application/json";
    if (contentType && !hasHeader(headers, "content-type")) headers["Content-Type"] = contentType;
    if (this.options.userAgent && !hasHeader(headers, "user-agent")) headers["User-Agent"] = this.options.userAgent;
    headers["Content-Length"] = String(bytes?.length ?? 0);
    headers.Authorization = signRequest({
      method,
      url,
      headers,
      body: bytes,
      credentials: this.options.credentials,
      headersToSign: this.options.headersToSign ?? [],
      timestamp: formatTimestamp(new Date((this.options.now ?? Date.now)())),
      nonce: makeNonce(),
    });

    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const connectTimeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const send = this.endpoint.scheme === "https" ? https.request : http.request;
    // Errors name the path only: the query may hold values the caller did not mean to log.
    const path = url.pathname;

    return new Promise<EdgeGridResponse>((resolve, reject) => {
      let settled = false;
      let failure: EdgeGridNetworkError | undefined;
      const timers: NodeJS.Timeout[] = [];
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        timers.forEach(clearTimeout);
        outcome();
      };
      const abort = (error: EdgeGridNetworkError): void => {
        failure = error;
        clientRequest.destroy();
        finish(() => reject(error));
      };

      const clientRequest = send(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        const lost = (): void =>
          abort(new EdgeGridNetworkError("reset", method, path, "ECONNRESET", "connection lost while reading the response"));
        res.on("error", lost);
        res.on("close", () => {
          if (!res.complete) lost();
        });
        res.on("end", () => {
          const rawBody = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          const responseHeaders = flattenHeaders(res.headers);
          let body: unknown;
          if (isJson(responseHeaders["content-type"])) {
            if (rawBody.length > 0) {
              try {
                body = JSON.parse(rawBody.toString("utf8"));
              } catch {
                finish(() => reject(new EdgeGridResponseFormatError(method, path, status, responseHeaders, rawBody.length)));
                return;
              }
            }
          } else {
            body = rawBody.toString("utf8");
          }
          finish(() => resolve({ status, headers: responseHeaders, body, rawBody }));
        });
      });

      clientRequest.on("socket", (socket) => {
        // A reused keep-alive socket is already connected; only new ones get the connect timer.
        if (!socket.connecting) return;
        const timer = setTimeout(
          () =>
            abort(
              new EdgeGridNetworkError(
                "connect_timeout",
                method,
                path,
                "ETIMEDOUT",
                `no connection within ${connectTimeoutMs} ms`,
              ),
            ),
          connectTimeoutMs,
        );
        timers.push(timer);
        socket.once("connect", () => clearTimeout(timer));
      });
      clientRequest.on("error", (error: NodeJS.ErrnoException) => {
        if (failure) return; // our own abort() caused this error
        const code = error.code;
        // Node's message for system errors is like "connect ECONNREFUSED 127.0.0.1:8080": no request data.
        const detail = code === "ECONNRESET" ? "connection reset (socket hang up)" : error.message || code || "network error";
        finish(() => reject(new EdgeGridNetworkError(networkKind(code), method, path, code, detail)));
      });
      timers.push(
        setTimeout(
          () =>
            abort(new EdgeGridNetworkError("timeout", method, path, "ETIMEDOUT", `no complete response within ${timeoutMs} ms`)),
          timeoutMs,
        ),
      );

      clientRequest.end(bytes);
    });
  }
}
