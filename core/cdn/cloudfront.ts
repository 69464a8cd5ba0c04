/**
 * Amazon CloudFront invalidation provider (reference: shared/reference/cdn-apis.md §3).
 *
 * Every object becomes an item of one `CreateInvalidation` batch (`Paths.Items`):
 * - `path`: as given ("/a/b", "/img/*"): leading "/", printable ASCII (percent-encode the rest), "*" only last,
 *   at most 4,000 characters;
 * - `url`: its path and query, after checking the host is one the distribution serves;
 * - `tag`: "#tag" (2026-04 tag invalidation), only for distributions configured with cache tags
 *   (CacheTagConfig). Otherwise tags are rejected (tagsNotSupported), unless `tagFallback: "purgeAll"`: then one
 *   "/*" invalidation stands for all of them, and it is reported as such (substitution "purgeAllInsteadOfTags");
 * - `all`: "/*", only with allowPurgeAll.
 *
 * Limits: 3,000 items and 15 wildcard items in progress per distribution, so per request too. Requests to one
 * distribution go one at a time, and the pacer holds one back while this run's recent invalidations (counted as in
 * progress for assumedInProgressMs) would exceed those caps; `TooManyInvalidationsInProgress` means "later" (busy),
 * as do `Throttling` and 5xx. `CallerReference` is fixed per batch (job id, batch index and a hash of the items), so a retry of a batch
 * CloudFront already took returns the first invalidation, or one of the "caller reference already used" errors,
 * which count as that first invalidation's success.
 *
 * Requests go out through a transport (cloudfront-sdk.ts wraps @aws-sdk/client-cloudfront for the CLI;
 * functions/aws/cloudfront-fetch-transport.ts signs REST-XML over fetch for the worker, with the same answer shapes);
 * answers are read by SDK error name.
 */
import { createHash } from "node:crypto";
import { asRecord, truncate } from "./http-answers";
import {
  type Check,
  checkPositiveInteger,
  checkServedUrl,
  describe,
  parseServedHostnames,
  reject,
  validateWith,
} from "./objects";
import { resolveApiBaseUrl } from "./endpoint";
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
  type CloudFrontWireRequest,
  type PlanContext,
  type PlannedRequest,
} from "./types";

/** InvalidationLimits.html: file paths in progress per distribution. */
export const CLOUDFRONT_MAX_PATHS = 3000;
/** InvalidationLimits.html: wildcard paths in progress per distribution. */
export const CLOUDFRONT_MAX_WILDCARDS = 15;
export const CLOUDFRONT_MAX_PATH_LENGTH = 4000;
/** invalidation-specifying-tags.html */
export const CLOUDFRONT_MAX_TAG_LENGTH = 256;
/** Wait after TooManyInvalidationsInProgress (completion is < 25 s at P95, whats-new 2026-04). */
export const CLOUDFRONT_DEFAULT_BUSY_WAIT_MS = 30_000;
export const CLOUDFRONT_ENDPOINT_ENVS = ["AWS_ENDPOINT_URL_CLOUDFRONT", "AWS_ENDPOINT_URL"] as const;

export interface CloudFrontConfig {
  /** e.g. E2QWRUHAPOMQZL */
  distributionId: string;
  /** Hostnames the distribution serves (its aliases or *.cloudfront.net name); URL hosts are checked against them. */
  hostnames: readonly string[];
  /** The distribution has CacheTagConfig.HeaderName: tags are invalidated as "#tag" items. Default false. */
  cacheTags?: boolean;
  /** Tags on a distribution without cache tags: "reject" (default) or "purgeAll" (one "/*" instead, reported). */
  tagFallback?: "reject" | "purgeAll";
  /** Accept the `all` type ("/*"). Default false. */
  allowPurgeAll?: boolean;
  /** Items per invalidation, 1–3,000. Default 3,000. */
  maxPathsPerRequest?: number;
  /** Wildcard items per invalidation, 1–15. Default 15. */
  maxWildcardsPerRequest?: number;
  /** Wait after TooManyInvalidationsInProgress. Default 30 s. */
  busyWaitMs?: number;
  /**
   * How long the pacer counts a sent invalidation as in progress (its items against the 3,000 / 15 caps). CloudFront
   * reports completion in < 25 s at P95 (2026); the real time is not promised (unconfirmed), so this is an estimate,
   * and TooManyInvalidationsInProgress answers still wait busyWaitMs. Default 30 s.
   */
  assumedInProgressMs?: number;
}

const DISTRIBUTION_ID = /^[A-Z0-9]{1,64}$/;
const PRINTABLE = /^[\x21-\x7e]+$/;
// ASCII 33–126 without commas (invalidation-specifying-tags.html).
const TAG = /^[\x21-\x2b\x2d-\x7e]+$/;

export function isWildcard(item: string | number): boolean {
  return String(item).endsWith("*");
}

function pathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return `must start with "/"`;
  if (!PRINTABLE.test(path)) return "has a space, control or non-ASCII character: percent-encode it (UTF-8)";
  const star = path.indexOf("*");
  if (star !== -1 && star !== path.length - 1) return `has "*" before the end; "*" is allowed only as the last character`;
  if (path.length > CLOUDFRONT_MAX_PATH_LENGTH) return `is ${path.length} characters; the limit is ${CLOUDFRONT_MAX_PATH_LENGTH}`;
  return undefined;
}

/**
 * Refuses AWS_ENDPOINT_URL_CLOUDFRONT / AWS_ENDPOINT_URL (which the AWS SDK obeys by itself) unless they point at
 * the loopback sandbox with EDGEPLANE_INSECURE_LOOPBACK=1. Call before creating the CloudFront client.
 */
export function checkCloudFrontEndpointOverride(env: Record<string, string | undefined> = process.env): void {
  for (const name of CLOUDFRONT_ENDPOINT_ENVS) resolveApiBaseUrl(CLOUDFRONT_API_URL, name, env);
}

export const CLOUDFRONT_API_URL = "https://cloudfront.amazonaws.com";

/**
 * Where CloudFront requests go, as the SDK picks it: AWS_ENDPOINT_URL_CLOUDFRONT, else AWS_ENDPOINT_URL, else
 * CloudFront's global endpoint. Both overrides are checked first (checkCloudFrontEndpointOverride).
 */
export function cloudFrontApiBaseUrl(env: Record<string, string | undefined> = process.env): string {
  checkCloudFrontEndpointOverride(env);
  const name = CLOUDFRONT_ENDPOINT_ENVS.find((n) => (env[n] ?? "") !== "");
  return name === undefined ? CLOUDFRONT_API_URL : resolveApiBaseUrl(CLOUDFRONT_API_URL, name, env);
}

export function createCloudFrontProvider(config: CloudFrontConfig): CdnProvider {
  if (typeof config.distributionId !== "string" || !DISTRIBUTION_ID.test(config.distributionId)) {
    throw new CdnConfigError(
      "distributionId",
      `cloudfront distributionId must be upper-case letters and digits (e.g. E2QWRUHAPOMQZL); got ${describe(config.distributionId)}`,
    );
  }
  const served = parseServedHostnames(config.hostnames, "hostnames");
  const cacheTags = config.cacheTags === true;
  const tagFallback = config.tagFallback ?? "reject";
  if (tagFallback !== "reject" && tagFallback !== "purgeAll") {
    throw new CdnConfigError("tagFallback", `tagFallback must be "reject" or "purgeAll"; got ${describe(tagFallback)}`);
  }
  const allowPurgeAll = config.allowPurgeAll === true;
  const maxPaths = checkPositiveInteger("maxPathsPerRequest", config.maxPathsPerRequest ?? CLOUDFRONT_MAX_PATHS);
  const maxWildcards = checkPositiveInteger("maxWildcardsPerRequest", config.maxWildcardsPerRequest ?? CLOUDFRONT_MAX_WILDCARDS);
  if (maxPaths > CLOUDFRONT_MAX_PATHS)
    throw new CdnConfigError(
      "maxPathsPerRequest",
      `maxPathsPerRequest is ${maxPaths}; CloudFront allows ${CLOUDFRONT_MAX_PATHS}`,
    );
  if (maxWildcards > CLOUDFRONT_MAX_WILDCARDS) {
    throw new CdnConfigError(
      "maxWildcardsPerRequest",
      `maxWildcardsPerRequest is ${maxWildcards}; CloudFront allows ${CLOUDFRONT_MAX_WILDCARDS}`,
    );
  }
  const busyWaitMs = config.busyWaitMs ?? CLOUDFRONT_DEFAULT_BUSY_WAIT_MS;
  const assumedInProgressMs = config.assumedInProgressMs ?? CLOUDFRONT_DEFAULT_BUSY_WAIT_MS;
  const distributionId = config.distributionId;
  const tagsAccepted = cacheTags || tagFallback === "purgeAll";
  const objectTypes: CdnObjectType[] = ["url", "path"];
  if (tagsAccepted) objectTypes.push("tag");
  if (allowPurgeAll) objectTypes.push("all");
  // One CreateInvalidation carries paths and tags together; its type is "path" ("all" for the tag fallback).
  const maxItemsPerRequest: Partial<Record<CdnObjectType, number>> = { path: maxPaths, all: 1 };

  const check = (type: CdnObjectType, value: unknown): Check => {
    if (type === "path") {
      if (typeof value !== "string") return reject("invalidPath", `expected a path like /images/a.png; got ${describe(value)}`);
      const problem = pathProblem(value);
      if (problem !== undefined) return reject("invalidPath", `path ${describe(value)} ${problem}`);
      return { ok: true, value, item: value };
    }
    if (type === "url") {
      const result = checkServedUrl(value, served, "cloudfront");
      if (!result.ok) return result;
      const { rest } = result.url;
      const path = rest === "" || rest.startsWith("?") ? `/${rest}` : rest;
      const problem = pathProblem(path);
      if (problem !== undefined) return reject("invalidUrl", `URL ${describe(value)}: its path ${problem}`);
      return { ok: true, value: result.url.normalized, item: path };
    }
    if (type === "tag") {
      if (!tagsAccepted) {
        return reject(
          "tagsNotSupported",
          `cloudfront distribution ${distributionId} is not configured with cache tags, so it cannot invalidate by tag; ` +
            `configure CacheTagConfig (and cacheTags), or allow tagFallback "purgeAll" to invalidate "/*" instead`,
        );
      }
      if (typeof value !== "string" || value.length === 0)
        return reject("invalidTag", `expected a cache tag string; got ${describe(value)}`);
      if (!TAG.test(value) || value.includes("*")) {
        return reject("invalidTag", `cache tag ${describe(value)} must be ASCII 33–126 without commas, spaces or "*"`);
      }
      if (value.length > CLOUDFRONT_MAX_TAG_LENGTH) {
        return reject(
          "tagTooLong",
          `cache tag ${describe(value)} is ${value.length} characters; cloudfront allows ${CLOUDFRONT_MAX_TAG_LENGTH}`,
        );
      }
      return { ok: true, value, item: cacheTags ? `#${value}` : "/*" };
    }
    if (type === "all") {
      if (!allowPurgeAll)
        return reject(
          "purgeAllNotAllowed",
          `invalidating everything ("/*") is not allowed for cloudfront distribution ${distributionId}`,
        );
      return { ok: true, value: "all", item: "/*" };
    }
    return reject("unsupportedType", `cloudfront cannot purge ${type} objects`);
  };

  /** Items of one invalidation: ≤ maxPaths, ≤ maxWildcards ending in "*". Greedy is optimal (see plan). */
  const splitItems = (objects: readonly AcceptedObject[]): AcceptedObject[][] => {
    const wild = objects.filter((o) => isWildcard(o.item));
    const plain = objects.filter((o) => !isWildcard(o.item));
    const groups: AcceptedObject[][] = [];
    let w = 0;
    let p = 0;
    while (w < wild.length || p < plain.length) {
      const takeWild = Math.min(maxWildcards, maxPaths, wild.length - w);
      const group = wild.slice(w, w + takeWild);
      w += takeWild;
      const takePlain = Math.min(maxPaths - group.length, plain.length - p);
      group.push(...plain.slice(p, p + takePlain));
      p += takePlain;
      groups.push(group);
    }
    return groups;
  };

  const fallbackTags = (accepted: readonly AcceptedObject[]) => accepted.filter((o) => o.type === "tag" && !cacheTags);

  return {
    cdn: "cloudfront",
    objectTypes,
    limits: { maxItemsPerRequest, maxWildcardsPerRequest: maxWildcards },
    maxParallel: 1,

    validate(objects: readonly CdnObjectInput[]): CdnValidation {
      // url, path and all share one namespace of paths ("https://h/a" and "/a" are one item); tags are case-insensitive.
      return validateWith(
        "cloudfront",
        ["url", "path", "tag", "all"],
        objects,
        check,
        (type, item, value) => (type === "tag" ? `tag\u0000${String(value).toLowerCase()}` : `path\u0000${String(item)}`),
        objectTypes,
      );
    },

    /**
     * Each invalidation takes up to maxWildcards wildcard items, then fills with plain items up to maxPaths. While
     * wildcards last, every invalidation uses them at the highest rate; once they are gone, every invalidation but
     * the last is full. So the count is max(ceil(items / maxPaths), ceil(wildcards / maxWildcards)), the minimum.
     */
    plan(accepted: readonly AcceptedObject[], context?: PlanContext): PlannedRequest[] {
      const jobId = context?.jobId;
      if (typeof jobId !== "string" || jobId.length === 0 || jobId.length > 100) {
        throw new CdnConfigError(
          "jobId",
          `cloudfront planning needs a jobId (1–100 characters) to fix each batch's CallerReference; got ${describe(jobId)}`,
        );
      }
      const fallback = fallbackTags(accepted);
      const rest = accepted.filter((o) => !(o.type === "tag" && !cacheTags));
      const requests: PlannedRequest[] = splitItems(rest).map((objects) => ({
        cdn: "cloudfront",
        type: "path",
        objects,
        items: objects.map((o) => o.item),
      }));
      if (fallback.length > 0) {
        requests.push({
          cdn: "cloudfront",
          type: "all",
          objects: fallback,
          items: ["/*"],
          substitution: "purgeAllInsteadOfTags",
        });
      }
      return requests.map((request, index) => ({ ...request, idempotencyKey: callerReference(jobId, index, request.items) }));
    },

    minimumRequests(accepted: readonly AcceptedObject[]): number {
      const rest = accepted.filter((o) => !(o.type === "tag" && !cacheTags));
      const wild = rest.filter((o) => isWildcard(o.item)).length;
      const base = Math.max(Math.ceil(rest.length / maxPaths), Math.ceil(wild / maxWildcards));
      return base + (fallbackTags(accepted).length > 0 ? 1 : 0);
    },

    checkRequest(request: PlannedRequest): string | undefined {
      if (typeof request !== "object" || request === null) return "request must be a planned request object";
      if (request.cdn !== "cloudfront") return `request is for ${describe(request.cdn)}, not cloudfront`;
      if (request.type !== "path" && request.type !== "all") return `cloudfront has no ${describe(request.type)} requests`;
      if (!Array.isArray(request.objects) || request.objects.length === 0) return "request has no objects";
      if (!Array.isArray(request.items) || request.items.length === 0) return "request has no items";
      if (request.items.length > maxPaths)
        return `request has ${request.items.length} items; cloudfront takes at most ${maxPaths}`;
      const wildcards = request.items.filter(isWildcard).length;
      if (wildcards > maxWildcards) return `request has ${wildcards} wildcard items; cloudfront takes at most ${maxWildcards}`;
      if (typeof request.idempotencyKey !== "string" || request.idempotencyKey.length === 0)
        return "request has no idempotencyKey (CallerReference)";
      if (request.substitution === "purgeAllInsteadOfTags" && tagFallback !== "purgeAll")
        return "purge-all instead of tags is not allowed for this distribution";
      return undefined;
    },

    buildRequest(request: PlannedRequest): CloudFrontWireRequest {
      const items = request.items.map(String);
      return {
        kind: "cloudfront",
        operation: "CreateInvalidation",
        input: {
          DistributionId: distributionId,
          InvalidationBatch: { CallerReference: String(request.idempotencyKey), Paths: { Quantity: items.length, Items: items } },
        },
      };
    },

    classify(_request: PlannedRequest, answer: CdnAnswer): CdnClassification {
      return classifyCloudFront(answer, busyWaitMs);
    },

    createPacer: (now: () => number) => inProgressPacer(maxPaths, maxWildcards, assumedInProgressMs, now),
  };
}

/**
 * Counts this run's invalidations as in progress for `assumedMs` after sending, and holds a request back while it
 * would take the distribution over maxPaths items or maxWildcards wildcards in progress. Requests are sent one at a
 * time (maxParallel 1), so take/refund pair up with the last request.
 */
function inProgressPacer(maxPaths: number, maxWildcards: number, assumedMs: number, now: () => number): CdnPacer {
  const inProgress: { items: number; wildcards: number; until: number; request: PlannedRequest }[] = [];
  const prune = (at: number) => {
    for (let i = inProgress.length - 1; i >= 0; i--) if (inProgress[i].until <= at) inProgress.splice(i, 1);
  };
  return {
    waitMs(request) {
      const at = now();
      prune(at);
      const items = request.items.length;
      const wildcards = request.items.filter(isWildcard).length;
      let usedItems = inProgress.reduce((sum, e) => sum + e.items, 0);
      let usedWildcards = inProgress.reduce((sum, e) => sum + e.wildcards, 0);
      // Entries end in the order they were sent: wait for as many as must end.
      for (const entry of [...inProgress].sort((a, b) => a.until - b.until)) {
        if (usedItems + items <= maxPaths && usedWildcards + wildcards <= maxWildcards) break;
        usedItems -= entry.items;
        usedWildcards -= entry.wildcards;
        if (usedItems + items <= maxPaths && usedWildcards + wildcards <= maxWildcards) return entry.until - at;
      }
      return 0;
    },
    take(request) {
      inProgress.push({
        items: request.items.length,
        wildcards: request.items.filter(isWildcard).length,
        until: now() + assumedMs,
        request,
      });
    },
    refund(request) {
      const index = inProgress.findIndex((e) => e.request === request);
      if (index !== -1) inProgress.splice(index, 1);
    },
    observe: () => undefined,
  };
}

/** Deterministic per batch: the same job, batch index and items always give the same reference. */
export function callerReference(jobId: string, index: number, items: readonly (string | number)[]): string {
  const hash = createHash("sha256").update(items.map(String).join("\n")).digest("hex").slice(0, 16);
  return `edgeplane-${jobId}-${index}-${hash}`;
}

const CREDENTIAL_ERRORS = new Set([
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "ExpiredTokenException",
  "UnrecognizedClientException",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "CredentialsProviderError",
]);
const THROTTLE_ERRORS = new Set(["Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"]);
const SERVER_ERRORS = new Set(["ServiceUnavailable", "InternalError", "InternalFailure", "InternalServerError"]);

/** Classifies a CreateInvalidation answer (SDK output or SDK error by name). */
export function classifyCloudFront(answer: CdnAnswer, busyWaitMs = CLOUDFRONT_DEFAULT_BUSY_WAIT_MS): CdnClassification {
  if (answer.kind === "cloudfront") {
    const invalidation = asRecord(asRecord(answer.output)?.Invalidation);
    const id = invalidation?.Id;
    if (typeof id === "string" && id.length > 0) return { kind: "done", cdnId: id };
    return { kind: "done", cdnId: null, detail: "CloudFront accepted the invalidation but its answer had no id" };
  }
  if (answer.kind !== "cloudfrontError")
    return { kind: "failed", reason: "malformedResponse", detail: `cloudfront got an ${answer.kind} answer` };
  const { name, httpStatus } = answer;
  const detail = truncate(`${name}: ${answer.message}`);
  const status = httpStatus === undefined ? {} : { status: httpStatus };
  // Nothing was created: `refund` gives the pacer's in-progress slots back.
  if (name === "TooManyInvalidationsInProgress")
    return { kind: "retry", cause: "busy", afterMs: busyWaitMs, ...status, detail, refund: true };
  if (THROTTLE_ERRORS.has(name)) return { kind: "retry", cause: "throttled", ...status, detail, refund: true };
  if (SERVER_ERRORS.has(name) || (httpStatus !== undefined && httpStatus >= 500))
    return { kind: "retry", cause: "serverError", ...status, detail };
  // Same CallerReference as an earlier batch: the first invalidation stands (the reference also hashes the items).
  if (name === "InvalidationBatchAlreadyExists" || (name === "InvalidArgument" && /caller reference/i.test(answer.message))) {
    return {
      kind: "done",
      cdnId: null,
      detail: `CloudFront already has this batch (same CallerReference); the first invalidation stands: ${detail}`,
    };
  }
  if (CREDENTIAL_ERRORS.has(name)) return { kind: "failed", reason: "credentialRejected", ...status, detail };
  if (name === "AccessDenied" || name === "AccessDeniedException")
    return { kind: "failed", reason: "forbidden", ...status, detail };
  if (name === "NoSuchDistribution") return { kind: "failed", reason: "notFound", ...status, detail };
  if (name === "BatchTooLarge") return { kind: "failed", reason: "tooManyItems", ...status, detail };
  if (name === "InvalidArgument") return { kind: "failed", reason: "invalidItems", ...status, detail };
  if (httpStatus === undefined) return { kind: "retry", cause: "networkError", detail };
  return { kind: "failed", reason: "rejected", ...status, detail };
}

/** GetInvalidation for an invalidation id (status follow-up). */
export function invalidationStatusRequest(distributionId: string, id: string): CloudFrontWireRequest {
  return { kind: "cloudfront", operation: "GetInvalidation", input: { DistributionId: distributionId, Id: id } };
}

export type InvalidationStatus =
  | { kind: "status"; status: string; completed: boolean }
  | { kind: "error"; reason: CdnClassification };

/** Reads a GetInvalidation answer: "InProgress" → "Completed"; errors classified as for CreateInvalidation. */
export function readInvalidationStatus(answer: CdnAnswer): InvalidationStatus {
  if (answer.kind === "cloudfront") {
    const status = asRecord(asRecord(answer.output)?.Invalidation)?.Status;
    if (typeof status === "string") return { kind: "status", status, completed: status === "Completed" };
    return {
      kind: "error",
      reason: { kind: "failed", reason: "malformedResponse", detail: "GetInvalidation answer had no Invalidation.Status" },
    };
  }
  if (answer.kind === "cloudfrontError" && answer.name === "NoSuchInvalidation") {
    return {
      kind: "error",
      reason: { kind: "failed", reason: "notFound", detail: truncate(`${answer.name}: ${answer.message}`) },
    };
  }
  return { kind: "error", reason: classifyCloudFront(answer) };
}
