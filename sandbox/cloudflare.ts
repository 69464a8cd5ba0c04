/**
 * Cloudflare cache purge API emulator on loopback. Facts and sources: shared/reference/cdn-apis.md §2
 * (cloudflare-typescript, Cloudflare docs and changelog, observed bodies in issues). Base path /client/v4,
 * so EDGEPLANE_CLOUDFLARE_API_URL is `http://127.0.0.1:PORT/client/v4`.
 *
 *   POST /client/v4/zones/{zone}/purge_cache       one of files | tags | hosts | prefixes | purge_everything
 *   GET  /client/v4/user/tokens/verify             user-owned tokens (account tokens get 401)
 *   GET  /client/v4/accounts/{id}/tokens/verify    account-owned tokens of that account (others get 401)
 * Auth: `Authorization: Bearer <token>`; the permission is Zone → Cache Purge → Purge, per zone.
 * Every answer is the envelope {success, errors: [{code, message}], messages, result}.
 *
 * Limits: a token bucket per account and plan for tag/host/prefix/everything requests (Free 5/min burst 25,
 * Pro 5/s burst 25, Business 10/s burst 50, Enterprise 50/s burst 500); URL purges draw on a URL bucket sized
 * to the plan's documented URLs/s (800, 1,500, 1,500, 3,000; one second's worth of burst, (unconfirmed)).
 * Items per request: 100 tags/hosts/prefixes; URLs 30 (observed on non-Enterprise zones) or 500 on Enterprise;
 * all configurable (`itemCaps`).
 *
 * Emulation choices where the reference has no source:
 * - Error codes for "too many items" (1015), rate limited (971), invalid token (1000 "Invalid API Token", 401),
 *   mixed purge kinds (1012), unroutable zone id (7003). Bad files/hosts/prefixes answer HTTP 200 success:false
 *   with code 1016 and a message naming the item, as bad tags do (1100/1315 + 1016).
 * - Verify answers 200 with result.status "disabled"/"expired" for such tokens; purges with them get 401.
 * - result.id of a purge is the zone id (commonly observed) unless resultId: "per-request".
 * - A request answered 200 success:false (bad items) has used its bucket token; 4xx answers use none.
 * - The global 1,200 requests / 5 min limit is not emulated.
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
import { TokenBucket, type BucketSpec } from "./token-bucket";

export type CloudflarePlan = "free" | "pro" | "business" | "enterprise";
export type CloudflarePurgeKind = "files" | "tags" | "hosts" | "prefixes" | "purge_everything";

/** developers.cloudflare.com/cache/how-to/purge-cache/ (2025-04 onward). */
export const CLOUDFLARE_PLAN_BUCKETS: Record<CloudflarePlan, BucketSpec> = {
  free: { capacity: 25, refillPerSecond: 5 / 60 },
  pro: { capacity: 25, refillPerSecond: 5 },
  business: { capacity: 50, refillPerSecond: 10 },
  enterprise: { capacity: 500, refillPerSecond: 50 },
};

/** Single-file purge throughput (URLs/s, moving average); burst of one second is an emulation choice. */
export const CLOUDFLARE_URL_RATES: Record<CloudflarePlan, number> = { free: 800, pro: 1500, business: 1500, enterprise: 3000 };

export function defaultItemCaps(plan: CloudflarePlan): Record<Exclude<CloudflarePurgeKind, "purge_everything">, number> {
  return { files: plan === "enterprise" ? 500 : 30, tags: 100, hosts: 100, prefixes: 100 };
}

export const CLOUDFLARE_MAX_TAG_CHARS = 1024;
/** "at most 31 path separators" (cloudflare-docs PR #32906). */
export const CLOUDFLARE_MAX_PREFIX_SEPARATORS = 31;

export interface CloudflareZoneConfig {
  /** 32 lowercase hex characters, like real zone ids. */
  id: string;
  plan: CloudflarePlan;
  /** Buckets are per account; zones without one get their own. */
  accountId?: string;
}

export interface CloudflareTokenConfig {
  token: string;
  /** "user" tokens verify at /user/tokens/verify, "account" tokens at /accounts/{accountId}/tokens/verify. */
  kind: "user" | "account";
  accountId?: string;
  /** Zones this token may purge (Zone → Cache Purge → Purge). Absent = every zone. */
  purgeZones?: string[];
  status?: "active" | "disabled" | "expired";
  /** Epoch ms; past it the token reads as expired. */
  expiresOnMs?: number;
  notBeforeMs?: number;
  id?: string;
}

export interface CloudflarePurgeRecord {
  id: string;
  zoneId: string;
  kind: CloudflarePurgeKind;
  /** URLs, tags, hosts or prefixes in request order; empty for purge_everything. */
  objects: string[];
  tokenId: string;
  atMs: number;
}

export interface CloudflareState {
  purges: CloudflarePurgeRecord[];
  requests: EmulatorRequestRecord[];
  /** Per purge request that passed auth: kind, item count and the cap that applied (to prove no request exceeded it). */
  sizes: Array<{ zoneId: string; kind: CloudflarePurgeKind; items: number; cap: number }>;
}

export interface CloudflareEmulatorOptions {
  port?: number;
  host?: string;
  zones: CloudflareZoneConfig[];
  tokens: CloudflareTokenConfig[];
  /** Replaces the per-request item caps (all plans), e.g. {files: 100}. */
  itemCaps?: Partial<Record<Exclude<CloudflarePurgeKind, "purge_everything">, number>>;
  /** Replaces the request bucket of a plan (before timeScale). */
  buckets?: Partial<Record<CloudflarePlan, BucketSpec>>;
  /** Multiplies refill rates. Default 1. */
  timeScale?: number;
  resultId?: "zone" | "per-request";
  faults?: CdnFaultRule[];
  now?: () => number;
}

export interface CloudflareEmulator extends LoopbackServer {
  state: CloudflareState;
}

export interface CloudflareError {
  code: number;
  message: string;
  error_chain?: CloudflareError[];
}

export function envelope(
  status: number,
  errors: CloudflareError[],
  result: unknown = null,
  messages: unknown[] = [],
  headers?: Record<string, string>,
): EmulatorResponse {
  return { status, body: { success: errors.length === 0, errors, messages, result }, ...(headers ? { headers } : {}) };
}

/** Every object of every recorded purge that matches, in arrival order (duplicates kept). */
export function cloudflarePurgedObjects(
  state: CloudflareState,
  filter: { kind?: CloudflarePurgeKind; zoneId?: string } = {},
): string[] {
  return state.purges
    .filter((p) => (filter.kind ?? p.kind) === p.kind && (filter.zoneId ?? p.zoneId) === p.zoneId)
    .flatMap((p) => p.objects);
}

const ZONE_ID = /^[0-9a-f]{32}$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const KINDS: CloudflarePurgeKind[] = ["files", "tags", "hosts", "prefixes", "purge_everything"];
const ONE_OF = 'Request must contain one of "purge_everything", "files", "tags", "hosts" or "prefixes"';

type Token = CloudflareTokenConfig & { id: string };

function tokenStatus(token: Token, nowMs: number): "active" | "disabled" | "expired" {
  if (token.status && token.status !== "active") return token.status;
  if (token.expiresOnMs !== undefined && token.expiresOnMs <= nowMs) return "expired";
  return "active";
}

/** The item problem, if any: a message for the 200 success:false answer, with its code. */
function checkItem(kind: Exclude<CloudflarePurgeKind, "purge_everything">, item: string): CloudflareError | undefined {
  switch (kind) {
    case "tags":
      if (item.length > CLOUDFLARE_MAX_TAG_CHARS)
        return {
          code: 1100,
          message: `Tag exceeds maximum length of ${CLOUDFLARE_MAX_TAG_CHARS} characters: ${item.slice(0, 64)}…`,
        };
      if (!/^[\x21-\x7e]+$/.test(item) || item.includes(","))
        return { code: 1315, message: "Non-printable characters are forbidden in tags" };
      return undefined;
    case "hosts":
      return HOSTNAME.test(item) ? undefined : { code: 1016, message: `Invalid hostname: ${item.slice(0, 256)}` };
    case "prefixes": {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(item))
        return { code: 1016, message: `Prefix must not have a scheme: ${item.slice(0, 256)}` };
      const host = item.split("/")[0] ?? "";
      if (!HOSTNAME.test(host)) return { code: 1016, message: `Prefix must start with a hostname: ${item.slice(0, 256)}` };
      if ((item.match(/\//g) ?? []).length > CLOUDFLARE_MAX_PREFIX_SEPARATORS) {
        return {
          code: 1016,
          message: `Prefix has more than ${CLOUDFLARE_MAX_PREFIX_SEPARATORS} path separators: ${item.slice(0, 256)}`,
        };
      }
      return undefined;
    }
    case "files": {
      let url: URL;
      try {
        url = new URL(item);
      } catch {
        return { code: 1016, message: `Invalid URL: ${item.slice(0, 256)}` };
      }
      return url.protocol === "http:" || url.protocol === "https:"
        ? undefined
        : { code: 1016, message: `URL must be http or https: ${item.slice(0, 256)}` };
    }
  }
}

export async function startCloudflareEmulator(options: CloudflareEmulatorOptions): Promise<CloudflareEmulator> {
  const now = options.now ?? Date.now;
  const timeScale = checkTimeScale(options.timeScale);
  for (const zone of options.zones) {
    if (!ZONE_ID.test(zone.id)) throw new RangeError(`zone id "${zone.id}" must be 32 lowercase hex characters`);
    if (!(zone.plan in CLOUDFLARE_PLAN_BUCKETS))
      throw new RangeError(`zone ${zone.id}: plan "${zone.plan}" is not one of free, pro, business, enterprise`);
  }
  const zones = new Map(options.zones.map((z) => [z.id, z]));
  const tokens = new Map<string, Token>(
    options.tokens.map((t) => [t.token, { ...t, id: t.id ?? randomBytes(16).toString("hex") }]),
  );
  const state: CloudflareState = { purges: [], requests: [], sizes: [] };
  const startMs = now();
  const buckets = new Map<string, { request: TokenBucket; urls: TokenBucket }>();
  const bucketsFor = (zone: CloudflareZoneConfig): { request: TokenBucket; urls: TokenBucket } => {
    const key = zone.accountId ?? zone.id;
    let found = buckets.get(key);
    if (!found) {
      const spec = options.buckets?.[zone.plan] ?? CLOUDFLARE_PLAN_BUCKETS[zone.plan];
      const urlRate = CLOUDFLARE_URL_RATES[zone.plan];
      found = {
        request: new TokenBucket({ capacity: spec.capacity, refillPerSecond: spec.refillPerSecond * timeScale }, startMs),
        urls: new TokenBucket({ capacity: urlRate, refillPerSecond: urlRate * timeScale }, startMs),
      };
      buckets.set(key, found);
    }
    return found;
  };

  /** Cloudflare's 2025-09 rate-limit headers, from the bucket the request drew on. */
  const rateHeaders = (bucket: TokenBucket, nowMs: number): Record<string, string> => {
    const window = Math.ceil(bucket.spec.capacity / bucket.spec.refillPerSecond);
    return {
      Ratelimit: `"default";r=${Math.floor(bucket.available(nowMs))};t=${Math.ceil(bucket.secondsToFull(nowMs))}`,
      "Ratelimit-Policy": `"burst";q=${bucket.spec.capacity};w=${window}`,
    };
  };

  type Auth = { ok: true; token: Token } | { ok: false; response: EmulatorResponse };
  const invalidTokenResponse = (why: string): EmulatorResponse => ({
    ...envelope(401, [{ code: 1000, message: "Invalid API Token" }]),
    authFailure: why,
  });

  const authenticate = (request: EmulatorRequest): Auth => {
    const header = headerValue(request.headers, "authorization");
    const m = header === undefined ? null : /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header);
    if (!m) {
      return {
        ok: false,
        response: {
          ...envelope(400, [
            {
              code: 6003,
              message: "Invalid request headers",
              error_chain: [{ code: 6111, message: "Invalid format for Authorization header" }],
            },
          ]),
          authFailure: header === undefined ? "missing_token" : "malformed_header",
        },
      };
    }
    const token = tokens.get(m[1] as string);
    return token ? { ok: true, token } : { ok: false, response: invalidTokenResponse("unknown_token") };
  };

  const verify = (request: EmulatorRequest, accountId: string | undefined): EmulatorResponse => {
    const auth = authenticate(request);
    if (!auth.ok) return auth.response;
    const t = auth.token;
    // Each form verifies only its own kind of token (cdn-apis.md §2.1, cloudflare-docs#29486).
    if (accountId === undefined ? t.kind !== "user" : t.kind !== "account" || t.accountId !== accountId) {
      return invalidTokenResponse(accountId === undefined ? "account_token_at_user_verify" : "wrong_account_verify");
    }
    const status = tokenStatus(t, request.nowMs);
    const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    return envelope(
      200,
      [],
      {
        id: t.id,
        status,
        ...(t.expiresOnMs !== undefined ? { expires_on: iso(t.expiresOnMs) } : {}),
        ...(t.notBeforeMs !== undefined ? { not_before: iso(t.notBeforeMs) } : {}),
      },
      status === "active" ? [{ code: 10000, message: "This API Token is valid and active", type: null }] : [],
    );
  };

  const purge = (request: EmulatorRequest, zoneId: string): EmulatorResponse => {
    const auth = authenticate(request);
    if (!auth.ok) return auth.response;
    if (tokenStatus(auth.token, request.nowMs) !== "active")
      return invalidTokenResponse(`token_${tokenStatus(auth.token, request.nowMs)}`);
    if (!ZONE_ID.test(zoneId)) {
      return envelope(400, [
        { code: 7003, message: `Could not route to /zones/${zoneId}/purge_cache, perhaps your object identifier is invalid?` },
      ]);
    }
    const zone = zones.get(zoneId);
    const allowed = auth.token.purgeZones === undefined || auth.token.purgeZones.includes(zoneId);
    // A zone that does not exist cannot be in the token's permissions either: same 403 as a missing permission.
    if (!zone || !allowed)
      return { ...envelope(403, [{ code: 10000, message: "Authentication error" }]), authFailure: "no_purge_permission" };

    let parsed: unknown;
    try {
      parsed = JSON.parse(request.body.toString("utf8"));
    } catch {
      return envelope(400, [{ code: 1012, message: ONE_OF }]);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return envelope(400, [{ code: 1012, message: ONE_OF }]);
    const body = parsed as Record<string, unknown>;
    const present = KINDS.filter((k) => body[k] !== undefined);
    const unknown = Object.keys(body).filter((k) => !KINDS.includes(k as CloudflarePurgeKind));
    if (present.length === 0) return envelope(400, [{ code: 1012, message: ONE_OF }]);
    if (present.length > 1 || unknown.length > 0) {
      const fields = [...present, ...unknown].map((k) => `"${k}"`).join(", ");
      return envelope(400, [
        {
          code: 1012,
          message: `Request must contain only one of "purge_everything", "files", "tags", "hosts" or "prefixes"; it has ${fields}`,
        },
      ]);
    }
    const kind = present[0] as CloudflarePurgeKind;
    const zoneBuckets = bucketsFor(zone);
    let objects: string[] = [];
    if (kind === "purge_everything") {
      if (body.purge_everything !== true) return envelope(400, [{ code: 1012, message: '"purge_everything" must be true' }]);
    } else {
      const list = body[kind];
      if (!Array.isArray(list)) return envelope(400, [{ code: 1014, message: '"files", "tags", or "hosts" must be an array' }]);
      const cap = options.itemCaps?.[kind] ?? defaultItemCaps(zone.plan)[kind];
      state.sizes.push({ zoneId, kind, items: list.length, cap });
      if (list.length === 0) return envelope(400, [{ code: 1012, message: `"${kind}" must not be empty` }]);
      if (list.length > cap)
        return envelope(400, [
          {
            code: 1015,
            message: `You cannot provide more than ${cap} items in "${kind}" per request; this request has ${list.length}`,
          },
        ]);
      for (const [index, item] of list.entries()) {
        const value =
          kind === "files" && typeof item === "object" && item !== null && !Array.isArray(item)
            ? (item as { url?: unknown }).url
            : item;
        if (typeof value !== "string")
          return envelope(400, [
            { code: 1014, message: `"${kind}"[${index}] must be a string${kind === "files" ? " or {url, headers}" : ""}` },
          ]);
        objects.push(value);
      }
    }
    const bucket = kind === "files" ? zoneBuckets.urls : zoneBuckets.request;
    const cost = kind === "files" ? objects.length : 1;
    if (!bucket.tryTake(cost, request.nowMs)) {
      const retryAfter = Math.max(1, Math.ceil((cost - bucket.available(request.nowMs)) / bucket.spec.refillPerSecond));
      return envelope(
        429,
        [{ code: 971, message: `Rate limit enforced for cache purge. (You can try again in ${retryAfter} seconds.)` }],
        null,
        [],
        { "Retry-After": String(retryAfter), ...rateHeaders(bucket, request.nowMs) },
      );
    }
    const headers = rateHeaders(bucket, request.nowMs);
    const problems =
      kind === "purge_everything"
        ? []
        : objects.map((o) => checkItem(kind, o)).filter((p): p is CloudflareError => p !== undefined);
    if (problems.length > 0) {
      // Observed: HTTP 200 with success:false, the item errors then 1016 (opennextjs-cloudflare PR #655).
      return envelope(200, [...problems, { code: 1016, message: "One or more cache purge errors" }], null, [], headers);
    }
    if (kind === "purge_everything") objects = [];
    const id = options.resultId === "per-request" ? randomBytes(16).toString("hex") : zoneId;
    state.purges.push({ id, zoneId, kind, objects, tokenId: auth.token.id, atMs: request.nowMs });
    return envelope(200, [], { id }, [], headers);
  };

  const handle = (request: EmulatorRequest): EmulatorResponse => {
    const { method, path } = request;
    const purgePath = /^\/client\/v4\/zones\/([^/]+)\/purge_cache$/.exec(path);
    const accountVerify = /^\/client\/v4\/accounts\/([^/]+)\/tokens\/verify$/.exec(path);
    const notAllowed = (allow: string): EmulatorResponse => ({
      ...envelope(405, [{ code: 10405, message: `Method ${method} not allowed` }]),
      headers: { Allow: allow },
    });
    if (purgePath) return method === "POST" ? purge(request, purgePath[1] as string) : notAllowed("POST");
    if (path === "/client/v4/user/tokens/verify") return method === "GET" ? verify(request, undefined) : notAllowed("GET");
    if (accountVerify) return method === "GET" ? verify(request, accountVerify[1]) : notAllowed("GET");
    return envelope(404, [{ code: 7000, message: "No route for that URI" }]);
  };

  const faultResponse = (fault: CdnFault & { status: number }): EmulatorResponse => {
    const code = typeof fault.errorCode === "number" ? fault.errorCode : fault.status === 429 ? 971 : 10000 + fault.status;
    const headers: Record<string, string> = fault.status === 429 ? { "Retry-After": String(fault.retryAfterSeconds ?? 60) } : {};
    return envelope(fault.status, [{ code, message: `Injected fault: status ${fault.status}` }], null, [], headers);
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
