/**
 * Fastly purge provider (reference: shared/reference/cdn-apis.md §1).
 *
 * | Type | Request                                                     | Per request | Answer (200)                  |
 * |------|-------------------------------------------------------------|-------------|-------------------------------|
 * | url  | POST /purge/{host/path} (no scheme)                         | 1 URL       | {"status":"ok","id":"…"}      |
 * | tag  | POST /service/{id}/purge {"surrogate_keys":[…]}             | ≤ 256 keys  | {"key":"purge id",…}          |
 * | all  | POST /service/{id}/purge_all (only if allowPurgeAll)        | –           | {"status":"ok"}               |
 *
 * `Fastly-Key` carries the token on every request (URL purges need it only on services that require purge
 * auth); `Fastly-Soft-Purge: 1` marks content stale instead of evicting it (not possible for purge_all).
 * URL and key purges are not rate limited; purge_all counts toward 1,000 requests/hour per token, with 429 and
 * `Fastly-RateLimit-Remaining`/`-Reset` (epoch seconds) headers (legacy docs, unconfirmed still current).
 */
import { FASTLY_API_URL, FASTLY_API_URL_ENV, resolveApiBaseUrl } from "./endpoint";
import { asRecord, header, parseJson, retryAfterMs, truncate } from "./http-answers";
import {
  basicRequestProblem,
  chunkRequests,
  type Check,
  checkPositiveInteger,
  checkServedUrl,
  describe,
  groupByType,
  parseServedHostnames,
  reject,
  validateWith,
} from "./objects";
import { TokenBucket } from "./token-bucket";
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

/** fastly-js PurgeApi.md: "Up to 256 surrogate keys … in one batch request". */
export const FASTLY_MAX_KEYS_PER_REQUEST = 256;
/** VCL constraints: surrogate keys over 1 KB make purge requests fail. */
export const FASTLY_MAX_KEY_BYTES = 1024;
/** URL purges in flight at once (Fastly does not rate limit them; AEM runs 30). */
export const FASTLY_DEFAULT_PARALLEL = 16;
/** purge_all: 1,000 non-read requests per hour per token (docs.fastly.com/api, legacy). */
export const FASTLY_PURGE_ALL_BUCKET = { size: 1000, refillPerSecond: 1000 / 3600 } as const;
/** Wait on a 429 that names no reset time. */
export const FASTLY_DEFAULT_THROTTLE_WAIT_MS = 60_000;

export interface FastlyConfig {
  serviceId: string;
  /** API token (`FASTLY_API_TOKEN`); sent as Fastly-Key. Never logged. */
  token: string;
  /** Hostnames this Fastly service serves for the environment (exact or `*.example.com`). */
  hostnames: readonly string[];
  /** Send `Fastly-Soft-Purge: 1` (mark stale instead of evicting). Default false. */
  softPurge?: boolean;
  /** Accept the `all` type (purge_all). Default false: purge-all only when explicitly allowed. */
  allowPurgeAll?: boolean;
  /** URL purges (and key batches) in flight at once. Default 16. */
  maxParallel?: number;
  /** Keys per bulk request, 1–256. Default 256. */
  maxKeysPerRequest?: number;
  /** Default: https://api.fastly.com, or EDGEPLANE_FASTLY_API_URL under the loopback rule (endpoint.ts). */
  apiBaseUrl?: string;
  env?: Record<string, string | undefined>;
}

const SERVICE_ID = /^[A-Za-z0-9]{1,64}$/;
// Surrogate keys travel space-separated in headers: printable ASCII without spaces.
const KEY = /^[\x21-\x7e]+$/;

export function createFastlyProvider(config: FastlyConfig): CdnProvider {
  if (typeof config.serviceId !== "string" || !SERVICE_ID.test(config.serviceId)) {
    throw new CdnConfigError(
      "serviceId",
      `fastly serviceId must be letters and digits (e.g. SU1Z0isxPaozGVKXdv0eY); got ${describe(config.serviceId)}`,
    );
  }
  if (typeof config.token !== "string" || config.token.trim() === "") {
    throw new CdnConfigError(
      "token",
      "fastly token is missing: set FASTLY_API_TOKEN (a token with purge_select, or purge_all for purge-all)",
    );
  }
  const served = parseServedHostnames(config.hostnames, "hostnames");
  const softPurge = config.softPurge === true;
  const allowPurgeAll = config.allowPurgeAll === true;
  const maxParallel = checkPositiveInteger("maxParallel", config.maxParallel ?? FASTLY_DEFAULT_PARALLEL);
  const maxKeys = checkPositiveInteger("maxKeysPerRequest", config.maxKeysPerRequest ?? FASTLY_MAX_KEYS_PER_REQUEST);
  if (maxKeys > FASTLY_MAX_KEYS_PER_REQUEST) {
    throw new RangeError(`maxKeysPerRequest is ${maxKeys}; Fastly takes at most ${FASTLY_MAX_KEYS_PER_REQUEST} keys per request`);
  }
  const base = config.apiBaseUrl ?? resolveApiBaseUrl(FASTLY_API_URL, FASTLY_API_URL_ENV, config.env);
  const serviceId = config.serviceId;
  const objectTypes: CdnObjectType[] = allowPurgeAll && !softPurge ? ["url", "tag", "all"] : ["url", "tag"];
  // "all" still reaches `check`, which names why it is refused (purgeAllNotAllowed, softPurgeAllUnsupported).
  const checkTypes: CdnObjectType[] = ["url", "tag", "all"];
  const maxItemsPerRequest: Partial<Record<CdnObjectType, number>> = { url: 1, tag: maxKeys, all: 1 };

  const check = (type: CdnObjectType, value: unknown): Check => {
    if (type === "url") {
      const result = checkServedUrl(value, served, "fastly");
      if (!result.ok) return result;
      const { host, port, rest } = result.url;
      const path = rest === "" || rest.startsWith("?") ? `/${rest}` : rest;
      return { ok: true, value: result.url.normalized, item: `${host}${port}${path}` };
    }
    if (type === "tag") {
      if (typeof value !== "string" || value.length === 0)
        return reject("invalidTag", `expected a surrogate key string; got ${describe(value)}`);
      if (!KEY.test(value)) {
        return reject(
          "invalidTag",
          `surrogate key ${describe(value)} has a space, control or non-ASCII character; keys are printable ASCII without spaces`,
        );
      }
      const bytes = Buffer.byteLength(value, "utf8");
      if (bytes > FASTLY_MAX_KEY_BYTES) {
        return reject(
          "tagTooLong",
          `surrogate key ${describe(value)} is ${bytes} bytes; Fastly fails purges of keys over ${FASTLY_MAX_KEY_BYTES} bytes`,
        );
      }
      return { ok: true, value, item: value };
    }
    // all
    if (!allowPurgeAll) {
      return reject("purgeAllNotAllowed", "purge-all is not allowed for this fastly service (allowPurgeAll is off)");
    }
    if (softPurge) {
      return reject(
        "softPurgeAllUnsupported",
        "fastly cannot soft-purge everything; tag everything with a constant key and soft-purge that key",
      );
    }
    return { ok: true, value: "all", item: "all" };
  };

  const headers = (json: boolean): Record<string, string> => {
    const h: Record<string, string> = { Accept: "application/json", "Fastly-Key": config.token };
    if (json) h["Content-Type"] = "application/json";
    return h;
  };

  return {
    cdn: "fastly",
    objectTypes,
    limits: { maxItemsPerRequest },
    maxParallel,

    validate(objects: readonly CdnObjectInput[]): CdnValidation {
      return validateWith("fastly", checkTypes, objects, check, undefined, objectTypes);
    },

    plan(accepted: readonly AcceptedObject[]): PlannedRequest[] {
      const requests: PlannedRequest[] = [];
      for (const [type, group] of groupByType(accepted)) {
        requests.push(...chunkRequests("fastly", type, group, maxItemsPerRequest[type] ?? 1));
      }
      return requests;
    },

    minimumRequests(accepted: readonly AcceptedObject[]): number {
      let total = 0;
      for (const [type, group] of groupByType(accepted)) total += Math.ceil(group.length / (maxItemsPerRequest[type] ?? 1));
      return total;
    },

    checkRequest(request: PlannedRequest): string | undefined {
      const problem = basicRequestProblem("fastly", request, maxItemsPerRequest);
      if (problem !== undefined) return problem;
      if (request.type === "all" && (!allowPurgeAll || softPurge)) return "purge-all is not allowed for this fastly service";
      return undefined;
    },

    buildRequest(request: PlannedRequest): HttpWireRequest {
      if (request.type === "url") {
        const h = headers(false);
        if (softPurge) h["Fastly-Soft-Purge"] = "1";
        return { kind: "http", method: "POST", url: `${base}/purge/${String(request.items[0])}`, headers: h };
      }
      if (request.type === "tag") {
        const h = headers(true);
        if (softPurge) h["Fastly-Soft-Purge"] = "1";
        return {
          kind: "http",
          method: "POST",
          url: `${base}/service/${encodeURIComponent(serviceId)}/purge`,
          headers: h,
          body: JSON.stringify({ surrogate_keys: request.items }),
        };
      }
      if (request.type === "all") {
        return {
          kind: "http",
          method: "POST",
          url: `${base}/service/${encodeURIComponent(serviceId)}/purge_all`,
          headers: headers(false),
        };
      }
      throw new RangeError(`fastly has no ${describe(request.type)} requests`);
    },

    classify(request: PlannedRequest, answer: CdnAnswer, now: number): CdnClassification {
      return classifyFastly(request, answer, now);
    },

    createPacer(now: () => number): CdnPacer {
      const purgeAll = new TokenBucket(FASTLY_PURGE_ALL_BUCKET, now());
      return {
        waitMs: (request) => (request.type === "all" ? purgeAll.waitMs(1, now()) : 0),
        take: (request) => {
          if (request.type === "all") purgeAll.take(1, now());
        },
        refund: (request) => {
          if (request.type === "all") purgeAll.refund(1, now());
        },
        observe: (request, answer) => {
          if (request.type !== "all" || answer.kind !== "http") return;
          const remaining = header(answer.headers, "fastly-ratelimit-remaining");
          const wait = fastlyResetWaitMs(answer.headers, now());
          if ((answer.status === 429 || remaining === "0") && wait !== undefined) purgeAll.blockFor(wait, now());
        },
      };
    },
  };
}

/** Fastly-RateLimit-Reset is a UTC epoch in seconds. */
function fastlyResetWaitMs(headers: Record<string, string>, now: number): number | undefined {
  const reset = header(headers, "fastly-ratelimit-reset");
  if (reset === undefined || !/^[0-9]+$/.test(reset)) return undefined;
  const ms = Number(reset) * 1000 - now;
  return ms >= 0 && ms <= 3_600_000 ? ms : undefined;
}

/** Fastly error bodies: {"msg":…,"detail(s)":…} or {"status":"fail","reason":…}. */
function fastlyDetail(body: unknown, status: number): string {
  const record = asRecord(body);
  const parts = [record?.msg, record?.reason, record?.detail, record?.details].filter((p): p is string => typeof p === "string");
  return parts.length > 0 ? truncate(parts.join(": ")) : `HTTP ${status}`;
}

export function classifyFastly(request: PlannedRequest, answer: CdnAnswer, now: number): CdnClassification {
  if (answer.kind !== "http")
    return { kind: "failed", reason: "malformedResponse", detail: `fastly got a ${answer.kind} answer` };
  const { status } = answer;
  const body = parseJson(answer.body);
  if (status === 200) {
    const record = asRecord(body);
    if (record === undefined) {
      return {
        kind: "failed",
        reason: "malformedResponse",
        status,
        detail: "fastly answered 200 without a JSON object body; the purge may have happened",
      };
    }
    if (request.type === "tag") {
      // {"key":"purge id", ...}
      const objectIds: Record<string, string> = {};
      for (const [key, id] of Object.entries(record)) if (typeof id === "string") objectIds[key] = id;
      const first = request.items.map(String).find((key) => objectIds[key] !== undefined);
      return { kind: "done", cdnId: first === undefined ? null : objectIds[first], objectIds };
    }
    if (record.status !== undefined && record.status !== "ok") {
      return {
        kind: "failed",
        reason: "malformedResponse",
        status,
        detail: `fastly answered 200 with status ${describe(record.status)}`,
      };
    }
    return { kind: "done", cdnId: typeof record.id === "string" ? record.id : null };
  }
  const detail = fastlyDetail(body, status);
  if (status === 429) {
    const afterMs =
      retryAfterMs(answer.headers, now) ?? fastlyResetWaitMs(answer.headers, now) ?? FASTLY_DEFAULT_THROTTLE_WAIT_MS;
    return { kind: "retry", cause: "throttled", afterMs, status, detail };
  }
  if (status >= 500 && status <= 599) return { kind: "retry", cause: "serverError", status, detail };
  if (status === 401) return { kind: "failed", reason: "credentialRejected", status, detail };
  if (status === 403) return { kind: "failed", reason: "forbidden", status, detail };
  if (status === 404) return { kind: "failed", reason: "notFound", status, detail };
  if (status === 400 && /surrogate keys/i.test(detail)) return { kind: "failed", reason: "tooManyItems", status, detail };
  if (status >= 400 && status <= 499) return { kind: "failed", reason: "rejected", status, detail };
  return { kind: "failed", reason: "malformedResponse", status, detail: `unexpected HTTP ${status} from fastly: ${detail}` };
}
