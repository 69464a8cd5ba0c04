/**
 * Fastly purge API emulator on loopback (the parts edgeplane uses). Facts and sources:
 * shared/reference/cdn-apis.md §1 (fastly-js PurgeApi/TokensApi, Fastly docs).
 *
 *   POST /purge/{host/path}                 URL purge; no token needed unless the service requires purge auth
 *   POST /service/{id}/purge                bulk keys: JSON {"surrogate_keys": [...]} or header Surrogate-Key: "k1 k2"
 *   POST /service/{id}/purge/{key}          one key
 *   POST /service/{id}/purge_all            purge everything (counts against the hourly rate limit)
 *   GET  /tokens/self                       the calling token
 * Token in `Fastly-Key` (or the legacy `X-Fastly-Key`); `Fastly-Soft-Purge: 1` marks a purge soft.
 *
 * Emulation choices where the reference has no source (change them here if real Fastly differs):
 * - The 403 body for a scope/service refusal: {"msg":"You are not authorized to perform this action","detail":…}.
 * - Keys over 1,024 bytes: 400 {"status":"fail","reason":"Surrogate key … exceeds 1024 bytes"} (Fastly only says such
 *   purges "will fail").
 * - purge_all with Fastly-Soft-Purge: 1 is refused with 400 (soft purge-all does not exist), rather than silently hard.
 * - A URL purge on a service without required auth ignores any token sent; on a host no service claims it is accepted
 *   and recorded without a service id.
 * - The hourly limit (1,000 non-read requests per token) is counted only for purge_all, in fixed windows.
 * - GET /tokens/self answers any valid token; whether a purge_select-only token may call it is unconfirmed, so
 *   `tokensSelfNeedsRead` makes it answer 403 to tokens without global or global:read.
 */
import { randomBytes } from "node:crypto";
import {
  checkTimeScale,
  headerValue,
  startLoopbackServer,
  type CdnFault,
  type CdnFaultRule,
  type EmulatorRequest,
  type EmulatorRequestRecord,
  type EmulatorResponse,
  type LoopbackServer,
} from "./cdn-server";

export const FASTLY_MAX_KEYS_PER_REQUEST = 256;
export const FASTLY_MAX_KEY_BYTES = 1024;
export const FASTLY_DEFAULT_HOURLY_LIMIT = 1000;
/** fastly-js; fastly/fastly-magento2#104. */
export const FASTLY_TOO_MANY_KEYS_REASON = "Batch surrogate key request only supports up to 256 surrogate keys";
export const FASTLY_BAD_CREDENTIALS = { msg: "Provided credentials are missing or invalid" };

export type FastlyScope = "global" | "purge_select" | "purge_all" | "global:read";

export interface FastlyServiceConfig {
  id: string;
  /** Hostnames the service serves (URL purges are attributed by host). */
  hosts?: string[];
  /** `req.http.Fastly-Purge-Requires-Auth = "1"`: URL purges then need a purge_select/global token. Default false. */
  purgeRequiresAuth?: boolean;
}

export interface FastlyTokenConfig {
  token: string;
  /** Space-delimited scopes, e.g. "purge_select" or "purge_select purge_all". */
  scope: string;
  /** Service ids the token is limited to; empty or absent = all services. */
  services?: string[];
  /** Epoch ms; absent or null = never expires. */
  expiresAtMs?: number | null;
  id?: string;
  name?: string;
  userId?: string;
}

export interface FastlyPurgeRecord {
  id: string;
  kind: "url" | "key" | "all";
  serviceId?: string;
  /** URLs as host/path, or surrogate keys, in request order. Empty for purge_all. */
  objects: string[];
  soft: boolean;
  /** The token id that authorised it (absent for unauthenticated URL purges). */
  tokenId?: string;
  atMs: number;
}

export interface FastlyState {
  purges: FastlyPurgeRecord[];
  requests: EmulatorRequestRecord[];
}

export interface FastlyEmulatorOptions {
  port?: number;
  host?: string;
  services: FastlyServiceConfig[];
  tokens: FastlyTokenConfig[];
  /** purge_all requests per token per hour; default 1,000. */
  hourlyLimit?: number;
  /** GET /tokens/self answers 403 to tokens without global or global:read (unconfirmed either way). Default false. */
  tokensSelfNeedsRead?: boolean;
  /** Divides the length of the rate-limit hour, so benchmarks do not wait in real time. Default 1. */
  timeScale?: number;
  faults?: CdnFaultRule[];
  now?: () => number;
}

export interface FastlyEmulator extends LoopbackServer {
  state: FastlyState;
}

/** Every object of every recorded purge that matches, in arrival order (duplicates kept). */
export function fastlyPurgedObjects(
  state: FastlyState,
  filter: { kind?: FastlyPurgeRecord["kind"]; serviceId?: string; soft?: boolean } = {},
): string[] {
  return state.purges
    .filter(
      (p) =>
        (filter.kind ?? p.kind) === p.kind &&
        (filter.serviceId === undefined || filter.serviceId === p.serviceId) &&
        (filter.soft ?? p.soft) === p.soft,
    )
    .flatMap((p) => p.objects);
}

const json = (status: number, body: unknown, headers?: Record<string, string>): EmulatorResponse => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});
const fail = (status: number, reason: string): EmulatorResponse => json(status, { status: "fail", reason });

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export async function startFastlyEmulator(options: FastlyEmulatorOptions): Promise<FastlyEmulator> {
  const now = options.now ?? Date.now;
  const timeScale = checkTimeScale(options.timeScale);
  const hourlyLimit = options.hourlyLimit ?? FASTLY_DEFAULT_HOURLY_LIMIT;
  if (!(Number.isInteger(hourlyLimit) && hourlyLimit > 0))
    throw new RangeError(`hourlyLimit must be a positive integer, got ${hourlyLimit}`);
  const services = new Map(options.services.map((s) => [s.id, { ...s, hosts: (s.hosts ?? []).map((h) => h.toLowerCase()) }]));
  const tokens = new Map(
    options.tokens.map((t, i) => [t.token, { ...t, id: t.id ?? `tok${i + 1}${randomBytes(6).toString("hex")}` }]),
  );
  for (const t of options.tokens) {
    for (const scope of t.scope.split(" ")) {
      if (!["global", "purge_select", "purge_all", "global:read"].includes(scope)) {
        throw new RangeError(`token scope "${scope}" is not one of global, purge_select, purge_all, global:read`);
      }
    }
  }
  const state: FastlyState = { purges: [], requests: [] };
  const windowMs = 3_600_000 / timeScale;
  const hourly = new Map<string, { windowStart: number; used: number }>();
  let purgeCounter = 0;
  const purgeId = (nowMs: number): string => `${100 + (purgeCounter % 900)}-${Math.floor(nowMs / 1000)}-${++purgeCounter}`;

  type Token = FastlyTokenConfig & { id: string };
  type Auth = { ok: true; token: Token } | { ok: false; response: EmulatorResponse };

  const authenticate = (request: EmulatorRequest): Auth => {
    const key = headerValue(request.headers, "fastly-key") ?? headerValue(request.headers, "x-fastly-key");
    const token = key === undefined ? undefined : tokens.get(key);
    if (token === undefined)
      return {
        ok: false,
        response: { ...json(401, FASTLY_BAD_CREDENTIALS), authFailure: key === undefined ? "missing_token" : "unknown_token" },
      };
    if (token.expiresAtMs != null && token.expiresAtMs <= request.nowMs)
      return { ok: false, response: { ...json(401, FASTLY_BAD_CREDENTIALS), authFailure: "expired_token" } };
    return { ok: true, token };
  };

  /** The token may act on the service with one of the scopes. */
  const authorize = (request: EmulatorRequest, serviceId: string, scopes: FastlyScope[]): Auth => {
    const auth = authenticate(request);
    if (!auth.ok) return auth;
    const has = auth.token.scope.split(" ");
    const forbidden = (detail: string): Auth => ({
      ok: false,
      response: { ...json(403, { msg: "You are not authorized to perform this action", detail }), authFailure: "forbidden" },
    });
    if (!scopes.some((s) => has.includes(s)))
      return forbidden(`This action needs a token with scope ${scopes.join(" or ")}; the token has "${auth.token.scope}"`);
    const allowed = auth.token.services ?? [];
    if (allowed.length > 0 && !allowed.includes(serviceId))
      return forbidden(`The token is not allowed to act on service ${serviceId}`);
    return auth;
  };

  const isSoft = (request: EmulatorRequest): boolean => headerValue(request.headers, "fastly-soft-purge") === "1";

  const checkKeys = (keys: string[]): EmulatorResponse | undefined => {
    if (keys.length > FASTLY_MAX_KEYS_PER_REQUEST) return fail(400, FASTLY_TOO_MANY_KEYS_REASON);
    for (const key of keys) {
      if (key === "" || /\s/.test(key)) return fail(400, `Surrogate key "${key.slice(0, 64)}" must be non-empty with no spaces`);
      const bytes = Buffer.byteLength(key, "utf8");
      if (bytes > FASTLY_MAX_KEY_BYTES)
        return fail(
          400,
          `Surrogate key "${key.slice(0, 64)}…" is ${bytes} bytes; keys may be at most ${FASTLY_MAX_KEY_BYTES} bytes`,
        );
    }
    return undefined;
  };

  const service = (serviceId: string): EmulatorResponse | undefined =>
    services.has(serviceId) ? undefined : json(404, { msg: "Record not found", detail: `Cannot find service '${serviceId}'` });

  const urlPurge = (request: EmulatorRequest, cachedUrl: string): EmulatorResponse => {
    const host = cachedUrl.split("/")[0] ?? "";
    if (host === "" || /^[a-z]+:$/i.test(host)) return fail(400, `"${cachedUrl}" must be host/path with no scheme`);
    const owner = [...services.values()].find((s) => (s.hosts ?? []).includes(host.toLowerCase()));
    let tokenId: string | undefined;
    if (owner?.purgeRequiresAuth) {
      const auth = authorize(request, owner.id, ["purge_select", "global"]);
      if (!auth.ok) return auth.response;
      tokenId = auth.token.id;
    }
    const id = purgeId(request.nowMs);
    state.purges.push({
      id,
      kind: "url",
      ...(owner ? { serviceId: owner.id } : {}),
      objects: [cachedUrl],
      soft: isSoft(request),
      ...(tokenId ? { tokenId } : {}),
      atMs: request.nowMs,
    });
    return json(200, { status: "ok", id });
  };

  const bulkKeys = (request: EmulatorRequest, serviceId: string): EmulatorResponse => {
    const auth = authorize(request, serviceId, ["purge_select", "global"]);
    if (!auth.ok) return auth.response;
    const missing = service(serviceId);
    if (missing) return missing;
    let keys: string[];
    const text = request.body.toString("utf8").trim();
    if (text !== "") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return fail(400, "The request body is not valid JSON");
      }
      const list = (parsed as { surrogate_keys?: unknown } | null)?.surrogate_keys;
      if (!Array.isArray(list) || list.length === 0 || !list.every((k) => typeof k === "string")) {
        return fail(400, 'The body must be {"surrogate_keys": [non-empty list of strings]}');
      }
      keys = list as string[];
    } else {
      const header = headerValue(request.headers, "surrogate-key") ?? "";
      keys = header.split(" ").filter((k) => k !== "");
      if (keys.length === 0) return fail(400, 'Give the keys as JSON {"surrogate_keys": [...]} or in a Surrogate-Key header');
    }
    const bad = checkKeys(keys);
    if (bad) return bad;
    const ids: Record<string, string> = {};
    for (const key of keys) ids[key] = purgeId(request.nowMs);
    state.purges.push({
      id: ids[keys[0] as string] as string,
      kind: "key",
      serviceId,
      objects: keys,
      soft: isSoft(request),
      tokenId: auth.token.id,
      atMs: request.nowMs,
    });
    return json(200, ids);
  };

  const singleKey = (request: EmulatorRequest, serviceId: string, key: string): EmulatorResponse => {
    const auth = authorize(request, serviceId, ["purge_select", "global"]);
    if (!auth.ok) return auth.response;
    const missing = service(serviceId);
    if (missing) return missing;
    const bad = checkKeys([key]);
    if (bad) return bad;
    const id = purgeId(request.nowMs);
    state.purges.push({
      id,
      kind: "key",
      serviceId,
      objects: [key],
      soft: isSoft(request),
      tokenId: auth.token.id,
      atMs: request.nowMs,
    });
    return json(200, { status: "ok", id });
  };

  const purgeAll = (request: EmulatorRequest, serviceId: string): EmulatorResponse => {
    const auth = authorize(request, serviceId, ["purge_all", "global"]);
    if (!auth.ok) return auth.response;
    const missing = service(serviceId);
    if (missing) return missing;
    const windowStart = Math.floor(request.nowMs / windowMs) * windowMs;
    const counter = hourly.get(auth.token.id);
    const usage = counter && counter.windowStart === windowStart ? counter : { windowStart, used: 0 };
    hourly.set(auth.token.id, usage);
    const rateHeaders = (): Record<string, string> => ({
      "Fastly-RateLimit-Remaining": String(Math.max(0, hourlyLimit - usage.used)),
      // Epoch seconds, in the emulator's clock (real seconds from now are this minus now / timeScale).
      "Fastly-RateLimit-Reset": String(Math.ceil((windowStart + windowMs) / 1000)),
    });
    if (usage.used >= hourlyLimit) {
      return json(
        429,
        { msg: "You have exceeded your hourly rate limit and your request has been rate limited." },
        rateHeaders(),
      );
    }
    if (isSoft(request))
      return fail(
        400,
        "purge_all does not support Fastly-Soft-Purge; tag everything with a constant key and soft-purge that key",
      );
    usage.used += 1;
    state.purges.push({
      id: purgeId(request.nowMs),
      kind: "all",
      serviceId,
      objects: [],
      soft: false,
      tokenId: auth.token.id,
      atMs: request.nowMs,
    });
    return json(200, { status: "ok" }, rateHeaders());
  };

  const tokensSelf = (request: EmulatorRequest): EmulatorResponse => {
    const auth = authenticate(request);
    if (!auth.ok) return auth.response;
    const t = auth.token;
    const scopes = t.scope.split(" ");
    if (options.tokensSelfNeedsRead === true && !scopes.includes("global") && !scopes.includes("global:read")) {
      return {
        ...json(403, {
          msg: "You are not authorized to perform this action",
          detail: "Reading a token needs scope global or global:read",
        }),
        authFailure: "forbidden",
      };
    }
    const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    return json(200, {
      id: t.id,
      user_id: t.userId ?? "sandbox-user",
      name: t.name ?? "edgeplane sandbox token",
      scope: t.scope,
      services: t.services ?? [],
      created_at: iso(now()),
      last_used_at: iso(request.nowMs),
      expires_at: t.expiresAtMs == null ? null : iso(t.expiresAtMs),
      ip: "127.0.0.1",
      user_agent: headerValue(request.headers, "user-agent") ?? null,
      deleted_at: null,
      updated_at: iso(now()),
    });
  };

  const handle = (request: EmulatorRequest): EmulatorResponse => {
    const { method, path } = request;
    if (path === "/tokens/self")
      return method === "GET" ? tokensSelf(request) : json(405, { msg: "Method Not Allowed" }, { Allow: "GET" });
    if (path.startsWith("/purge/")) {
      if (method !== "POST") return json(405, { msg: "Method Not Allowed" }, { Allow: "POST" });
      // Fastly accepts reserved characters in the path parameter: keep the URL (and query) as sent, without the prefix.
      return urlPurge(request, request.target.slice("/purge/".length));
    }
    const m = /^\/service\/([^/]+)\/(purge_all|purge)(?:\/([^/]+))?$/.exec(path);
    if (m) {
      if (method !== "POST") return json(405, { msg: "Method Not Allowed" }, { Allow: "POST" });
      const serviceId = decodeSegment(m[1] as string) ?? "";
      if (m[2] === "purge_all") return m[3] === undefined ? purgeAll(request, serviceId) : json(404, { msg: "Record not found" });
      if (m[3] === undefined) return bulkKeys(request, serviceId);
      const key = decodeSegment(m[3]);
      return key === undefined
        ? fail(400, "The surrogate key is not valid percent-encoding")
        : singleKey(request, serviceId, key);
    }
    return json(404, { msg: "Record not found", detail: `The emulator has no API at ${path}` });
  };

  const faultResponse = (fault: CdnFault & { status: number }, request: EmulatorRequest): EmulatorResponse => {
    if (fault.status === 429) {
      const reset = Math.ceil(request.nowMs / 1000) + (fault.retryAfterSeconds ?? 60);
      return json(
        429,
        { msg: "You have exceeded your hourly rate limit and your request has been rate limited." },
        {
          "Fastly-RateLimit-Remaining": "0",
          "Fastly-RateLimit-Reset": String(reset),
        },
      );
    }
    return json(fault.status, { msg: "Injected fault", detail: `The emulator answered with an injected status ${fault.status}` });
  };

  const server = await startLoopbackServer({
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    now,
    requests: state.requests,
    handle,
    faultResponse,
  });
  return { ...server, state };
}
