/**
 * Fast Purge v3 (CCU) emulation: POST /ccu/v3/{invalidate|delete}/{url|cpcode|tag}[/{network}]
 * and POST /ccu/v3/rate-limit-status/{url|cpcode|tag}[/{network}].
 * Facts and sources: shared/reference/akamai-apis.md §1.
 *
 * Choices where the docs are silent (marked [U] there):
 * - Only an accepted (201) purge consumes tokens; 4xx answers (400, 413, 415, 429) consume none.
 * - rate-limit-status consumes no tokens.
 * - A request with more objects than its bucket can ever hold gets 429 like any other shortage
 *   (TD-purge: "denied"); batch planners must keep requests under the bucket size.
 * - Rate-limit headers report the effective (time-scaled) refill rates and real seconds, so a client
 *   that follows them paces itself correctly when timeScale > 1.
 */
import type { Route, RouteRequest, RouteResponse, SandboxContext } from "./routes";
import type { PurgeAction, PurgeNetwork, PurgeObjectType } from "./state";
import { purgeProblem } from "./problem";
import { TokenBucket, type BucketSpec } from "./token-bucket";

/** TD-purge rate-limiting: one account-wide request bucket and one bucket per object type. */
export const FAST_PURGE_BUCKETS: Record<"request" | PurgeObjectType, BucketSpec> = {
  request: { capacity: 100, refillPerSecond: 50 },
  url: { capacity: 10_000, refillPerSecond: 12_000 / 60 },
  cpcode: { capacity: 300, refillPerSecond: 30 / 60 },
  tag: { capacity: 5_000, refillPerSecond: 500 / 60 },
};

/** TD-purge 413: "50KB", enforced as 50,000 bytes. */
export const MAX_PURGE_BODY_BYTES = 50_000;

/** OAS examples/201.json. */
const ESTIMATED_SECONDS = 5;

/** OAS examples/{request,url,cpcode,tag}-429.json. */
const RATE_LIMIT_TITLES: Record<"request" | PurgeObjectType, string> = {
  request: "Rate Limit exceeded",
  url: "URL Rate Limit exceeded",
  cpcode: "CPCODE Rate Limit exceeded",
  tag: "TAG Rate Limit exceeded",
};

// TD-purge purge-content-cache-tag: at most 128 characters from this set.
const TAG_PATTERN = /^[A-Za-z0-9!#$%'+./^_`|~-]{1,128}$/;
const HOSTNAME_PATTERN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const ASCII_PRINTABLE = /^[\x21-\x7e]+$/;

export interface PurgeRequestBody {
  objects: Array<string | number>;
  hostname?: string;
}

export type PurgeValidation = { ok: true; value: PurgeRequestBody } | { ok: false; title: string; detail: string };

function invalid(detail: string, title = "Bad request"): PurgeValidation {
  return { ok: false, title, detail };
}

function checkUrlObject(object: unknown, index: number, hostname: string | undefined): string | undefined {
  const where = `objects[${index}]`;
  if (typeof object !== "string") return `${where} must be a URL or ARL string; a request carries one object type only`;
  if (!ASCII_PRINTABLE.test(object)) return `${where} must be non-empty printable ASCII (percent-encode other characters)`;
  if (hostname !== undefined) {
    return object.startsWith("/") ? undefined : `${where} must be a path starting with "/" when hostname is given`;
  }
  if (/^\/[LF]\//.test(object)) return undefined; // ARL
  let url: URL;
  try {
    url = new URL(object);
  } catch {
    return `${where} must be an absolute http(s) URL or an ARL`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `${where} must be an absolute http(s) URL or an ARL`;
  if (!HOSTNAME_PATTERN.test(url.hostname)) return `${where}: Invalid or malformed hostname`;
  return undefined;
}

function checkObject(type: PurgeObjectType, object: unknown, index: number, hostname: string | undefined): string | undefined {
  const where = `objects[${index}]`;
  switch (type) {
    case "url":
      return checkUrlObject(object, index, hostname);
    case "cpcode":
      return typeof object === "number" && Number.isSafeInteger(object) && object > 0
        ? undefined
        : `${where} must be a positive integer CP code; a request carries one object type only`;
    case "tag":
      if (typeof object !== "string") return `${where} must be a cache tag string; a request carries one object type only`;
      return TAG_PATTERN.test(object) ? undefined : `${where} must be 1-128 characters of A-Z a-z 0-9 and !#$%'+./^_\`|~-`;
  }
}

/** Validates a purge body for one object type. "One bad object fails the request" (TD-purge api-errors). */
export function validatePurgeBody(type: PurgeObjectType, parsed: unknown): PurgeValidation {
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    return invalid("body must be a JSON object with an objects array");
  const body = parsed as Record<string, unknown>;
  const allowed = type === "url" ? ["objects", "hostname"] : ["objects"];
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) return invalid(`unknown field(s): ${unknown.join(", ")}; allowed: ${allowed.join(", ")}`);
  const { objects, hostname } = body;
  if (!Array.isArray(objects) || objects.length === 0) return invalid("objects must be a non-empty array");
  if (hostname !== undefined && (typeof hostname !== "string" || !HOSTNAME_PATTERN.test(hostname))) {
    return invalid("Invalid or malformed hostname", "bad URL hostname");
  }
  for (const [index, object] of objects.entries()) {
    const problem = checkObject(type, object, index, hostname as string | undefined);
    if (problem !== undefined) {
      return invalid(problem, problem.includes("hostname") ? "bad URL hostname" : "Bad request");
    }
  }
  const value: PurgeRequestBody = { objects: [...(objects as Array<string | number>)] };
  if (typeof hostname === "string") value.hostname = hostname;
  return { ok: true, value };
}

function formatRate(perSecond: number): string {
  return perSecond.toFixed(2); // "50.00", as in TD-purge rate-limit-response-examples
}

function formatSeconds(seconds: number): string {
  return seconds.toFixed(6); // "0.020000", as in OAS headers/x-ratelimit-seconds-to-refresh-limit.yaml
}

export interface FastPurgeOptions {
  /** Multiplies every refill rate. */
  timeScale?: number;
  /** Replaces bucket sizes or rates (before timeScale), e.g. a small URL bucket for a test. */
  buckets?: Partial<Record<"request" | PurgeObjectType, BucketSpec>>;
  /** Sandbox clock, milliseconds: the time the buckets start full. */
  startMs: number;
}

export class FastPurgeBuckets {
  readonly request: TokenBucket;
  readonly objects: Record<PurgeObjectType, TokenBucket>;

  constructor(options: FastPurgeOptions) {
    const scale = options.timeScale ?? 1;
    const make = (kind: "request" | PurgeObjectType): TokenBucket => {
      const spec = options.buckets?.[kind] ?? FAST_PURGE_BUCKETS[kind];
      return new TokenBucket({ capacity: spec.capacity, refillPerSecond: spec.refillPerSecond * scale }, options.startMs);
    };
    this.request = make("request");
    this.objects = { url: make("url"), cpcode: make("cpcode"), tag: make("tag") };
  }

  /** X-Ratelimit-* headers as sent on 201 and 429 (TD-purge rate-limit-response-examples; OAS headers/). */
  headers(type: PurgeObjectType, nowMs: number): Record<string, string> {
    const objects = this.objects[type];
    return {
      "X-Ratelimit-Limit": String(this.request.spec.capacity),
      "X-Ratelimit-Remaining": String(Math.floor(this.request.available(nowMs))),
      "X-Ratelimit-Limit-Per-Second": formatRate(this.request.spec.refillPerSecond),
      "X-Ratelimit-Seconds-To-Refresh-Limit": formatSeconds(this.request.secondsToFull(nowMs)),
      "X-Ratelimit-Limit-Objects": String(objects.spec.capacity),
      "X-Ratelimit-Remaining-Objects": String(Math.floor(objects.available(nowMs))),
      "X-Ratelimit-Limit-Per-Second-Objects": formatRate(objects.spec.refillPerSecond),
      "X-Ratelimit-Seconds-To-Refresh-Limit-Objects": formatSeconds(objects.secondsToFull(nowMs)),
    };
  }
}

const PURGE_PATH = /^\/ccu\/v3\/(invalidate|delete)\/(url|cpcode|tag)(?:\/(staging|production))?$/;
const STATUS_PATH = /^\/ccu\/v3\/rate-limit-status\/(url|cpcode|tag)(?:\/(staging|production))?$/;

export function fastPurgeRoutes(context: SandboxContext, buckets: FastPurgeBuckets): Route[] {
  const purge = (request: RouteRequest, params: string[]): RouteResponse => {
    const [action, type, network] = params as [PurgeAction, PurgeObjectType, PurgeNetwork | ""];
    const supportId = context.newId("edcp-");
    const contentType = request.headers["content-type"] ?? "";
    if (!/^application\/json\b/i.test(contentType)) {
      return purgeProblem(415, "Unsupported Media Type", "Content-Type must be application/json", supportId);
    }
    if (request.body.length > MAX_PURGE_BODY_BYTES) {
      return purgeProblem(
        413,
        "Request Entity Too Large",
        `The request body is ${request.body.length} bytes; the limit is ${MAX_PURGE_BODY_BYTES} bytes`,
        supportId,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.body.toString("utf8"));
    } catch {
      return purgeProblem(400, "Bad request", "The request body is not valid JSON", supportId);
    }
    const validation = validatePurgeBody(type, parsed);
    if (!validation.ok) return purgeProblem(400, validation.title, validation.detail, supportId);

    const count = validation.value.objects.length;
    const objectBucket = buckets.objects[type];
    const shortOf =
      buckets.request.available(request.nowMs) < 1 ? "request" : objectBucket.available(request.nowMs) < count ? type : undefined;
    if (shortOf !== undefined) {
      const bucket = shortOf === "request" ? buckets.request : objectBucket;
      return purgeProblem(
        429,
        RATE_LIMIT_TITLES[shortOf],
        "",
        supportId,
        {
          rateLimit: bucket.spec.capacity,
          rateLimitCurrentRequestSize: shortOf === "request" ? 1 : count,
          rateLimitRemaining: Math.floor(bucket.available(request.nowMs)),
        },
        buckets.headers(type, request.nowMs),
      );
    }
    buckets.request.tryTake(1, request.nowMs);
    objectBucket.tryTake(count, request.nowMs);
    const purgeId = supportId;
    context.state.purges.push({
      purgeId,
      supportId,
      action,
      type,
      network: network === "" ? "production" : network,
      objects: validation.value.objects,
      ...(validation.value.hostname !== undefined ? { hostname: validation.value.hostname } : {}),
      clientToken: request.clientToken,
      acceptedAtMs: request.nowMs,
    });
    return {
      status: 201,
      headers: buckets.headers(type, request.nowMs),
      body: { httpStatus: 201, detail: "Request accepted", estimatedSeconds: ESTIMATED_SECONDS, purgeId, supportId },
    };
  };

  const rateLimitStatus = (request: RouteRequest, params: string[]): RouteResponse => {
    const type = params[0] as PurgeObjectType;
    return {
      status: 201,
      headers: buckets.headers(type, request.nowMs),
      body: { httpStatus: 201, detail: "Rate limit status", supportId: context.newId("edcp-") },
    };
  };

  return [
    { method: "POST", pattern: PURGE_PATH, handle: purge },
    { method: "POST", pattern: STATUS_PATH, handle: rateLimitStatus },
  ];
}
