/**
 * Cloudflare purge provider (reference: shared/reference/cdn-apis.md §2).
 *
 * One endpoint, `POST /client/v4/zones/{zone}/purge_cache`, one kind of item per request:
 * `{"files":[urls]}`, `{"tags":[…]}`, `{"hosts":[…]}`, `{"prefixes":["host/path"]}` or `{"purge_everything":true}`;
 * `Authorization: Bearer <token>`. Every answer is the envelope `{success, errors:[{code,message}], result}`, and
 * HTTP 200 with `success:false` is a failure.
 *
 * Limits (2025-04 onward; several are **unconfirmed**, so all are configurable):
 * - items per request: tags/hosts/prefixes 100; URLs 30 (observed, cloudflare-docs#21338; the docs table says 100),
 *   500 on Enterprise;
 * - a token bucket per plan for tag/host/prefix/everything requests (Free 5/min burst 25, Pro 5/s burst 25,
 *   Business 10/s burst 50, Enterprise 50/s burst 500);
 * - URL purges: URLs per second per plan (Free 800, Pro/Business 1,500, Enterprise 3,000); the burst of that
 *   bucket is not documented (unconfirmed): one second's worth;
 * - the API-wide 1,200 requests per 5 minutes (breaching it blocks every call for 5 minutes); whether URL purges
 *   count toward it is unconfirmed, so they do here;
 * - 429 with `Retry-After`, and `Ratelimit: "default";r=…;t=…` since 2025-09-03 (whether purge 429s carry them is
 *   unconfirmed: without them the wait is 60 s, the legacy "try again in 60 seconds").
 */
import { CLOUDFLARE_API_URL, CLOUDFLARE_API_URL_ENV, resolveApiBaseUrl } from "./endpoint";
import { asRecord, parseJson, readRateLimitHeader, retryAfterMs, truncate } from "./http-answers";
import {
  basicRequestProblem,
  chunkRequests,
  type Check,
  checkPositiveInteger,
  checkServedUrl,
  describe,
  groupByType,
  isHostname,
  parseServedHostnames,
  reject,
  validateWith,
} from "./objects";
import { isHostnameAllowed } from "../purge/objects";
import { type BucketSpec, TokenBucket } from "./token-bucket";
import {
  type AcceptedObject,
  type CdnAnswer,
  type CdnClassification,
  CdnConfigError,
  type CdnObjectInput,
  type CdnObjectType,
  type CdnPacer,
  type CdnProvider,
  type CdnValidation,
  type HttpWireRequest,
  type PlannedRequest,
} from "./types";

export const CLOUDFLARE_PLANS = ["free", "pro", "business", "enterprise"] as const;
export type CloudflarePlan = (typeof CLOUDFLARE_PLANS)[number];

type ItemType = "url" | "tag" | "host" | "prefix";

/** Items per request by plan; URLs 30 below Enterprise as observed (see the file comment). */
export const CLOUDFLARE_DEFAULT_MAX_ITEMS: Readonly<Record<CloudflarePlan, Readonly<Record<ItemType, number>>>> = {
  free: { url: 30, tag: 100, host: 100, prefix: 100 },
  pro: { url: 30, tag: 100, host: 100, prefix: 100 },
  business: { url: 30, tag: 100, host: 100, prefix: 100 },
  enterprise: { url: 500, tag: 100, host: 100, prefix: 100 },
};
/** The largest item cap accepted in configuration (the largest any Cloudflare doc names). */
export const CLOUDFLARE_MAX_CONFIGURABLE_ITEMS = 500;

/** Tag/host/prefix/everything requests: the purge token bucket per plan. */
export const CLOUDFLARE_REQUEST_BUCKETS: Readonly<Record<CloudflarePlan, Readonly<BucketSpec>>> = {
  free: { size: 25, refillPerSecond: 5 / 60 },
  pro: { size: 25, refillPerSecond: 5 },
  business: { size: 50, refillPerSecond: 10 },
  enterprise: { size: 500, refillPerSecond: 50 },
};
/** URL purges: URLs per second per plan; burst one second's worth (unconfirmed). */
export const CLOUDFLARE_URL_BUCKETS: Readonly<Record<CloudflarePlan, Readonly<BucketSpec>>> = {
  free: { size: 800, refillPerSecond: 800 },
  pro: { size: 1500, refillPerSecond: 1500 },
  business: { size: 1500, refillPerSecond: 1500 },
  enterprise: { size: 3000, refillPerSecond: 3000 },
};
/** The API-wide limit: 1,200 requests per 5 minutes per token. */
export const CLOUDFLARE_API_BUCKET: Readonly<BucketSpec> = { size: 1200, refillPerSecond: 4 };
export const CLOUDFLARE_DEFAULT_THROTTLE_WAIT_MS = 60_000;
export const CLOUDFLARE_DEFAULT_PARALLEL = 4;
/** A request unanswered this long (a transport error: no answer to observe) no longer counts as in flight. */
const IN_FLIGHT_EXPIRY_MS = 60_000;
/** Purge-by-tags page: a tag over 1,024 characters is refused with error 1100. */
export const CLOUDFLARE_MAX_TAG_LENGTH = 1024;
/** Prefixes: at most 31 path separators (cloudflare-docs PR #32906). */
export const CLOUDFLARE_MAX_PREFIX_SEPARATORS = 31;
/** Item-level errors, permanent: 1016 "One or more cache purge errors", 1100 tag too long, 1315 non-printable. */
export const CLOUDFLARE_ITEM_ERROR_CODES: readonly number[] = [1016, 1100, 1315];
/** Malformed authentication headers (6003 "Invalid request headers" with 6100–6111 in its chain). */
const AUTH_HEADER_ERROR_CODES = new Set([6003, 6100, 6101, 6102, 6103, 6111]);

export interface CloudflareConfig {
  /** The zone id (32 hex characters), not the zone name. */
  zoneId: string;
  /** API token (`CLOUDFLARE_API_TOKEN`) with Zone → Cache Purge → Purge. Never logged. */
  token: string;
  plan: CloudflarePlan;
  /** Hostnames this zone serves for the environment: URLs, hosts and prefixes must be under them. */
  hostnames: readonly string[];
  /** Accept the `all` type (purge_everything). Default false. */
  allowPurgeAll?: boolean;
  /** Items per request by type (default: CLOUDFLARE_DEFAULT_MAX_ITEMS for the plan), 1–500. */
  maxItemsPerRequest?: Partial<Record<ItemType, number>>;
  /** Override the rate model (defaults by plan above). */
  buckets?: { requests?: BucketSpec; urls?: BucketSpec; api?: BucketSpec };
  /** Wait after a 429 that carries neither Retry-After nor Ratelimit (unconfirmed which purge 429s do). Default 60 s. */
  throttleWaitMs?: number;
  /** Whether URL purges take a token of the API-wide 1,200 / 5 min limit (unconfirmed since 2022). Default true. */
  urlsCountTowardApiLimit?: boolean;
  /** Requests in flight at once (the buckets pace them). Default 4. */
  maxParallel?: number;
  /** Default: https://api.cloudflare.com/client/v4, or EDGEPLANE_CLOUDFLARE_API_URL (…/client/v4) under the loopback rule. */
  apiBaseUrl?: string;
  env?: Record<string, string | undefined>;
}

const ZONE_ID = /^[0-9a-f]{32}$/;
// Printable ASCII without the comma (Cache-Tag headers are comma-separated; 1315 refuses non-printables).
const TAG = /^[\x21-\x2b\x2d-\x7e]+$/;
const PREFIX_PATH = /^[\x21-\x7e]*$/;

const BODY_FIELD: Record<CdnObjectType, string | undefined> = {
  url: "files",
  tag: "tags",
  host: "hosts",
  prefix: "prefixes",
  all: undefined,
  path: undefined,
  cpcode: undefined,
};

export function createCloudflareProvider(config: CloudflareConfig): CdnProvider {
  if (typeof config.zoneId !== "string" || !ZONE_ID.test(config.zoneId)) {
    throw new CdnConfigError(
      "zoneId",
      `cloudflare zoneId must be the zone's id (32 lower-case hex characters, shown on the zone's Overview page), not its name; got ${describe(config.zoneId)}`,
    );
  }
  if (typeof config.token !== "string" || config.token.trim() === "") {
    throw new CdnConfigError(
      "token",
      "cloudflare token is missing: set CLOUDFLARE_API_TOKEN (a token with Zone → Cache Purge → Purge)",
    );
  }
  if (!(CLOUDFLARE_PLANS as readonly string[]).includes(config.plan)) {
    throw new CdnConfigError(
      "plan",
      `cloudflare plan must be one of ${CLOUDFLARE_PLANS.join(", ")}; got ${describe(config.plan)}`,
    );
  }
  const served = parseServedHostnames(config.hostnames, "hostnames");
  const allowPurgeAll = config.allowPurgeAll === true;
  const maxParallel = checkPositiveInteger("maxParallel", config.maxParallel ?? CLOUDFLARE_DEFAULT_PARALLEL);
  const maxItemsPerRequest: Partial<Record<CdnObjectType, number>> = { ...CLOUDFLARE_DEFAULT_MAX_ITEMS[config.plan], all: 1 };
  for (const [type, value] of Object.entries(config.maxItemsPerRequest ?? {})) {
    if (!["url", "tag", "host", "prefix"].includes(type)) {
      throw new CdnConfigError(
        `maxItemsPerRequest.${type}`,
        `maxItemsPerRequest takes url, tag, host, prefix; got ${describe(type)}`,
      );
    }
    const cap = checkPositiveInteger(`maxItemsPerRequest.${type}`, value);
    if (cap > CLOUDFLARE_MAX_CONFIGURABLE_ITEMS) {
      throw new CdnConfigError(
        `maxItemsPerRequest.${type}`,
        `maxItemsPerRequest.${type} is ${cap}; at most ${CLOUDFLARE_MAX_CONFIGURABLE_ITEMS}`,
      );
    }
    maxItemsPerRequest[type as ItemType] = cap;
  }
  const bucketSpecs = {
    requests: config.buckets?.requests ?? CLOUDFLARE_REQUEST_BUCKETS[config.plan],
    urls: config.buckets?.urls ?? CLOUDFLARE_URL_BUCKETS[config.plan],
    api: config.buckets?.api ?? CLOUDFLARE_API_BUCKET,
  };
  if (bucketSpecs.urls.size < (maxItemsPerRequest.url ?? 1)) {
    throw new CdnConfigError(
      "buckets.urls",
      `buckets.urls.size ${bucketSpecs.urls.size} is below maxItemsPerRequest.url; no URL request could ever be sent`,
    );
  }
  const throttleWaitMs = config.throttleWaitMs ?? CLOUDFLARE_DEFAULT_THROTTLE_WAIT_MS;
  if (!(Number.isFinite(throttleWaitMs) && throttleWaitMs >= 0 && throttleWaitMs <= 3_600_000)) {
    throw new CdnConfigError(
      "throttleWaitMs",
      `throttleWaitMs must be 0 to 3,600,000 ms; got ${describe(config.throttleWaitMs)}`,
    );
  }
  const urlsCountTowardApiLimit = config.urlsCountTowardApiLimit ?? true;
  const base = config.apiBaseUrl ?? resolveApiBaseUrl(CLOUDFLARE_API_URL, CLOUDFLARE_API_URL_ENV, config.env);
  const url = `${base}/zones/${config.zoneId}/purge_cache`;
  const objectTypes: CdnObjectType[] = allowPurgeAll ? ["url", "tag", "host", "prefix", "all"] : ["url", "tag", "host", "prefix"];
  const checkTypes: CdnObjectType[] = ["url", "tag", "host", "prefix", "all"];
  const notServed = (host: string) =>
    reject(
      "hostNotServed",
      `host ${JSON.stringify(host)} is not served by cloudflare in this environment; cloudflare serves: ${served.entries.join(", ") || "(none configured)"}`,
    );

  const check = (type: CdnObjectType, value: unknown): Check => {
    if (type === "url") {
      const result = checkServedUrl(value, served, "cloudflare");
      if (!result.ok) return result;
      return { ok: true, value: result.url.normalized, item: result.url.normalized };
    }
    if (type === "tag") {
      if (typeof value !== "string" || value.length === 0)
        return reject("invalidTag", `expected a cache tag string; got ${describe(value)}`);
      if (!TAG.test(value)) {
        return reject(
          "invalidTag",
          `cache tag ${describe(value)} has a space, comma, control or non-ASCII character; tags are printable ASCII without spaces or commas`,
        );
      }
      if (value.length > CLOUDFLARE_MAX_TAG_LENGTH) {
        return reject(
          "tagTooLong",
          `cache tag ${describe(value)} is ${value.length} characters; cloudflare refuses tags over ${CLOUDFLARE_MAX_TAG_LENGTH} (error 1100)`,
        );
      }
      return { ok: true, value, item: value };
    }
    if (type === "host") {
      const host = typeof value === "string" ? value.toLowerCase() : "";
      if (!isHostname(host)) return reject("invalidHost", `expected a hostname like www.example.com; got ${describe(value)}`);
      if (!isHostnameAllowed(host, served)) return notServed(host);
      return { ok: true, value: host, item: host };
    }
    if (type === "prefix") {
      if (typeof value !== "string" || value.length === 0)
        return reject("invalidPrefix", `expected a prefix like www.example.com/path; got ${describe(value)}`);
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
        return reject(
          "invalidPrefix",
          `prefix ${describe(value)} has a scheme; write it as host/path, e.g. www.example.com/blog`,
        );
      }
      const slash = value.indexOf("/");
      const host = (slash === -1 ? value : value.slice(0, slash)).toLowerCase();
      const path = slash === -1 ? "" : value.slice(slash);
      if (!isHostname(host)) return reject("invalidPrefix", `prefix ${describe(value)} does not start with a hostname`);
      if (!PREFIX_PATH.test(path) || path.includes("?") || path.includes("#")) {
        return reject(
          "invalidPrefix",
          `prefix ${describe(value)} has a space, control, non-ASCII character, query or fragment; percent-encode the path and drop the query`,
        );
      }
      const separators = path.split("/").length - 1;
      if (separators > CLOUDFLARE_MAX_PREFIX_SEPARATORS) {
        return reject(
          "invalidPrefix",
          `prefix ${describe(value)} has ${separators} path separators; cloudflare allows at most ${CLOUDFLARE_MAX_PREFIX_SEPARATORS}`,
        );
      }
      if (!isHostnameAllowed(host, served)) return notServed(host);
      const normalized = `${host}${path}`;
      return { ok: true, value: normalized, item: normalized };
    }
    // all
    if (!allowPurgeAll)
      return reject("purgeAllNotAllowed", "purge everything is not allowed for this cloudflare zone (allowPurgeAll is off)");
    return { ok: true, value: "all", item: "all" };
  };

  const requestProblem = (request: PlannedRequest): string | undefined => {
    const problem = basicRequestProblem("cloudflare", request, maxItemsPerRequest);
    if (problem !== undefined) return problem;
    if (request.type === "all" && !allowPurgeAll) return "purge everything is not allowed for this cloudflare zone";
    return undefined;
  };

  return {
    cdn: "cloudflare",
    objectTypes,
    limits: { maxItemsPerRequest },
    maxParallel,

    validate(objects: readonly CdnObjectInput[]): CdnValidation {
      // Tags are case-insensitive on Cloudflare: "Blog" and "blog" are one tag.
      return validateWith(
        "cloudflare",
        checkTypes,
        objects,
        check,
        (type, item) => (type === "tag" ? `tag\u0000${String(item).toLowerCase()}` : `${type}\u0000${String(item)}`),
        objectTypes,
      );
    },

    plan(accepted: readonly AcceptedObject[]): PlannedRequest[] {
      const requests: PlannedRequest[] = [];
      for (const [type, group] of groupByType(accepted)) {
        requests.push(...chunkRequests("cloudflare", type, group, maxItemsPerRequest[type] ?? 1));
      }
      return requests;
    },

    minimumRequests(accepted: readonly AcceptedObject[]): number {
      let total = 0;
      for (const [type, group] of groupByType(accepted)) total += Math.ceil(group.length / (maxItemsPerRequest[type] ?? 1));
      return total;
    },

    checkRequest: requestProblem,

    buildRequest(request: PlannedRequest): HttpWireRequest {
      const field = BODY_FIELD[request.type];
      if (request.type !== "all" && field === undefined)
        throw new RangeError(`cloudflare has no ${describe(request.type)} requests`);
      const body = request.type === "all" ? { purge_everything: true } : { [field as string]: request.items };
      return {
        kind: "http",
        method: "POST",
        url,
        headers: { Authorization: `Bearer ${config.token}`, "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      };
    },

    classify(_request: PlannedRequest, answer: CdnAnswer, now: number): CdnClassification {
      return classifyCloudflare(answer, now, throttleWaitMs);
    },

    createPacer(now: () => number): CdnPacer {
      const at = now();
      const requests = new TokenBucket(bucketSpecs.requests, at);
      const urls = new TokenBucket(bucketSpecs.urls, at);
      const api = new TokenBucket(bucketSpecs.api, at);
      const own = (request: PlannedRequest): [TokenBucket, number] =>
        request.type === "url" ? [urls, request.items.length] : [requests, 1];
      const usesApi = (request: PlannedRequest) => request.type !== "url" || urlsCountTowardApiLimit;
      // Requests sent and not answered yet. Cloudflare takes their tokens when they arrive, and until then its full
      // bucket does not refill past its size, while ours (taken at sending) does: with requests in flight, ours
      // may hold at most size − their tokens, or it runs ahead of Cloudflare's by rate × latency and gets a 429
      // after each burst (found by bench/cdn.ts: 8 429s for 10,000 Free-plan URLs). Entries a transport error
      // left unanswered expire.
      const inFlight = new Map<PlannedRequest, { bucket: TokenBucket; count: number; sentAt: number }>();
      const capToInFlight = (bucket: TokenBucket) => {
        let held = 0;
        for (const [request, entry] of inFlight) {
          if (now() - entry.sentAt > IN_FLIGHT_EXPIRY_MS) inFlight.delete(request);
          else if (entry.bucket === bucket) held += entry.count;
        }
        bucket.limitTo(bucket.size - held, now());
      };
      return {
        waitMs(request) {
          const [bucket, count] = own(request);
          capToInFlight(bucket);
          return Math.max(bucket.waitMs(count, now()), usesApi(request) ? api.waitMs(1, now()) : 0);
        },
        take(request) {
          const [bucket, count] = own(request);
          bucket.take(count, now());
          inFlight.set(request, { bucket, count, sentAt: now() });
          if (usesApi(request)) api.take(1, now());
        },
        refund(request) {
          const [bucket, count] = own(request);
          inFlight.delete(request);
          bucket.refund(count, now());
          if (usesApi(request)) api.refund(1, now());
        },
        observe(request, answer) {
          const entry = inFlight.get(request);
          if (entry !== undefined) {
            capToInFlight(entry.bucket);
            inFlight.delete(request);
          }
          if (answer.kind !== "http") return;
          const limit = readRateLimitHeader(answer.headers);
          // r=0 says "none left until the quota resets in t s": wait, but keep the model's tokens. Emptying the API
          // bucket (1,200 per 5 min, refilling at 4/s) would cap the run at 4 requests/s for minutes after every
          // r=0 (found by bench/cdn.ts: 10,000 Pro URLs took 38 s instead of 7 s).
          if (limit !== undefined && limit.remaining === 0) api.pauseFor(limit.resetSeconds * 1000, now());
          if (answer.status === 429) {
            const [bucket] = own(request);
            bucket.blockFor(retryAfterMs(answer.headers, now()) ?? throttleWaitMs, now());
          }
        },
      };
    },
  };
}

interface CloudflareError {
  code?: number;
  message?: string;
}

function readEnvelope(body: string): { success?: boolean; errors: CloudflareError[]; result?: unknown } | undefined {
  const record = asRecord(parseJson(body));
  if (record === undefined) return undefined;
  const errors: CloudflareError[] = [];
  const collect = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const entry of list) {
      const e = asRecord(entry);
      if (e === undefined) continue;
      errors.push({
        ...(typeof e.code === "number" ? { code: e.code } : {}),
        ...(typeof e.message === "string" ? { message: e.message } : {}),
      });
      collect(e.error_chain);
    }
  };
  collect(record.errors);
  // The 1012 body seen in python-cloudflare#179 is a bare {"code","message"}.
  if (errors.length === 0 && typeof record.code === "number") {
    errors.push({ code: record.code, ...(typeof record.message === "string" ? { message: record.message } : {}) });
  }
  return { ...(typeof record.success === "boolean" ? { success: record.success } : {}), errors, result: record.result };
}

function describeErrors(errors: CloudflareError[], status: number): string {
  if (errors.length === 0) return `HTTP ${status}`;
  return truncate(errors.map((e) => `${e.code ?? "?"} ${e.message ?? ""}`.trim()).join("; "));
}

export function classifyCloudflare(
  answer: CdnAnswer,
  now: number,
  throttleWaitMs = CLOUDFLARE_DEFAULT_THROTTLE_WAIT_MS,
): CdnClassification {
  if (answer.kind !== "http")
    return { kind: "failed", reason: "malformedResponse", detail: `cloudflare got a ${answer.kind} answer` };
  const { status } = answer;
  const envelope = readEnvelope(answer.body);
  const errors = envelope?.errors ?? [];
  const codes = new Set(errors.map((e) => e.code));
  const detail = describeErrors(errors, status);

  if (status === 429) {
    const limit = readRateLimitHeader(answer.headers);
    const afterMs =
      retryAfterMs(answer.headers, now) ??
      (limit !== undefined && limit.remaining === 0 ? limit.resetSeconds * 1000 : undefined) ??
      throttleWaitMs;
    return { kind: "retry", cause: "throttled", afterMs, status, detail };
  }
  if (status >= 500 && status <= 599) return { kind: "retry", cause: "serverError", status, detail };
  if (CLOUDFLARE_ITEM_ERROR_CODES.some((code) => codes.has(code))) {
    return { kind: "failed", reason: "invalidItems", status, detail };
  }
  if (status >= 200 && status <= 299) {
    if (envelope === undefined || envelope.success === undefined) {
      return {
        kind: "failed",
        reason: "malformedResponse",
        status,
        detail: `cloudflare answered ${status} without its JSON envelope; the purge may have happened`,
      };
    }
    if (envelope.success !== true) return { kind: "failed", reason: "rejected", status, detail: `success:false: ${detail}` };
    const result = asRecord(envelope.result);
    return { kind: "done", cdnId: typeof result?.id === "string" ? result.id : null };
  }
  if (status === 401 || [...codes].some((code) => code !== undefined && AUTH_HEADER_ERROR_CODES.has(code))) {
    return { kind: "failed", reason: "credentialRejected", status, detail };
  }
  if (status === 403) return { kind: "failed", reason: "forbidden", status, detail };
  if (status === 404) return { kind: "failed", reason: "notFound", status, detail };
  if (status >= 400 && status <= 499 && /more than [0-9]+ (items|urls|files|tags|hosts|prefixes)|too many/i.test(detail)) {
    return { kind: "failed", reason: "tooManyItems", status, detail };
  }
  if (status >= 400 && status <= 499) return { kind: "failed", reason: "rejected", status, detail };
  return { kind: "failed", reason: "malformedResponse", status, detail: `unexpected HTTP ${status} from cloudflare: ${detail}` };
}
