/**
 * The CDN-agnostic purge model: what every provider (akamai, fastly, cloudflare, cloudfront) declares and does.
 *
 * Flow: validate(objects) → plan(accepted) → for each planned request: buildRequest → transport → classify,
 * paced by the provider's pacer and parallelism (see runner.ts). Everything a provider returns is plain JSON
 * (planned requests can travel in an SQS message); tokens only ever appear in the wire request's headers.
 */
// Namespace import, not `import { z }`: esbuild tree-shakes `z.object(...)` calls on a namespace import, while the
// `z` export object keeps all of zod/mini alive (measured with the Lambda bundle options: 18.7 KB vs 427 KB).
import * as z from "zod/mini";

export const CDN_NAMES = ["akamai", "fastly", "cloudflare", "cloudfront"] as const;
export type CdnName = (typeof CDN_NAMES)[number];

/**
 * Object types across CDNs. Each provider supports a subset (provider.objectTypes):
 * akamai url/tag/cpcode; fastly url/tag/all; cloudflare url/tag/host/prefix/all; cloudfront url/path/tag/all.
 */
export const CDN_OBJECT_TYPES = ["url", "tag", "host", "prefix", "path", "cpcode", "all"] as const;
export type CdnObjectType = (typeof CDN_OBJECT_TYPES)[number];

/** Why an object was rejected before sending, or why a request failed. One list for all CDNs. */
export const REASON_CODES = [
  // validation (before anything is sent)
  "unsupportedType", // the CDN cannot purge this object type
  "invalidUrl", // not an absolute http(s) URL in wire form
  "hostNotServed", // the URL's host is not one this CDN serves for the environment
  "invalidTag", // characters the CDN does not accept in a tag / surrogate key
  "tagTooLong", // over the CDN's tag / key length limit
  "invalidHost", // not a hostname
  "invalidPrefix", // not host/path without a scheme, or too many path separators
  "invalidPath", // not a CloudFront path (leading "/", "*" only last, printable ASCII, ≤ 4,000 chars)
  "invalidCpCode", // not a positive integer CP code
  "objectTooLarge", // the object alone is over a request limit
  "purgeAllNotAllowed", // "all" asked for but not allowed for this environment / CDN
  "softPurgeAllUnsupported", // Fastly cannot soft-purge everything
  "tagsNotSupported", // the CDN (configuration) cannot purge by tag and no fallback is allowed
  // answers
  "credentialRejected", // 401 / bad signature / malformed auth header: the token itself was refused
  "forbidden", // 403: the token lacks the permission or the resource
  "notFound", // unknown service, zone or distribution
  "tooManyItems", // the CDN said the request held too many items
  "invalidItems", // the CDN refused one or more items (Cloudflare 1016/1100/1315, CloudFront InvalidArgument)
  "rejected", // any other refusal (4xx) that would fail the same way again
  "malformedResponse", // an answer the CDN does not document; the purge may or may not have happened
  "retriesExhausted", // 5xx / network errors until maxAttempts
  "throttledTooOften", // rate limited (or CloudFront busy) more than maxThrottled times in a row
  "transportError", // the transport threw an error not marked retryable
  "invalidRequest", // the planned request could never be sent (wrong shape, over a limit)
  "notSent", // skipped because the credential was rejected for an earlier request
  "unexpectedError", // a bug (e.g. a throwing classifier): reported rather than losing the request
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** An object as given by a caller: `value` is a URL, tag, host, prefix, path or CP code; ignored for `all`. */
export interface CdnObjectInput {
  type: CdnObjectType;
  value: unknown;
}

/** A valid object. `item` is its wire form (what goes into the request), also the key for de-duplication. */
export const acceptedObjectSchema = z.object({
  /** Position in the input list. */
  index: z.number().check(z.int(), z.nonnegative()),
  type: z.enum(CDN_OBJECT_TYPES),
  /** Normalised value as reported back (URL with scheme/host lower-cased, CP code as a number, ...). */
  value: z.union([z.string(), z.number()]),
  item: z.union([z.string(), z.number()]),
});
export type AcceptedObject = z.infer<typeof acceptedObjectSchema>;

export interface CdnRejection {
  index: number;
  type: unknown;
  object: unknown;
  reason: ReasonCode;
  /** Human explanation naming the value and what is allowed. */
  detail: string;
}

export interface CdnValidation {
  /** Valid objects in input order, each wire item once. */
  accepted: AcceptedObject[];
  rejected: CdnRejection[];
  /**
   * Valid objects whose wire item repeated an earlier accepted one (e.g. http:// and https:// of one URL on
   * Fastly) and were merged: accepted + rejected + duplicates === input length.
   */
  duplicates: number;
}

/**
 * One request to a CDN, planned: the wire format between planning and sending (e.g. in an SQS message).
 * `objects` are what the request purges (what gets reported as done or failed); `items` are the deduplicated wire
 * items (usually the objects' items; ["/*"] for a purge-everything that replaces tags). Read it back with
 * `plannedRequestSchema.safeParse`, then `provider.checkRequest` for the CDN's own limits.
 */
export const plannedRequestSchema = z.object({
  cdn: z.enum(CDN_NAMES),
  /** The request kind: the object type it purges on the wire ("all" for purge-everything). */
  type: z.enum(CDN_OBJECT_TYPES),
  objects: z.array(acceptedObjectSchema).check(z.minLength(1)),
  items: z.array(z.union([z.string(), z.number()])).check(z.minLength(1)),
  /** Fixed per batch so a retry is the same request (CloudFront CallerReference). */
  idempotencyKey: z.optional(z.string().check(z.minLength(1))),
  /** Set when the request purges more than was asked for, instead of objects the CDN cannot purge. */
  substitution: z.optional(z.literal("purgeAllInsteadOfTags")),
});
export type PlannedRequest = z.infer<typeof plannedRequestSchema>;

export interface PlanContext {
  /** Job (or run) id; with the request's index it makes idempotency keys. Required by cloudfront. */
  jobId?: string;
}

/** What goes over the wire. */
export type CdnWireRequest = HttpWireRequest | CloudFrontWireRequest;

export interface HttpWireRequest {
  kind: "http";
  method: "POST" | "GET";
  /** Absolute URL (akamai: the path on the credential's host, sent through the EdgeGrid transport). */
  url: string;
  /** May hold the token: never log these. */
  headers: Record<string, string>;
  body?: string;
}

export type CloudFrontWireRequest =
  | {
      kind: "cloudfront";
      operation: "CreateInvalidation";
      input: {
        DistributionId: string;
        InvalidationBatch: { CallerReference: string; Paths: { Quantity: number; Items: string[] } };
      };
    }
  | { kind: "cloudfront"; operation: "GetInvalidation"; input: { DistributionId: string; Id: string } };

export type CdnAnswer =
  | { kind: "http"; status: number; headers: Record<string, string>; body: string }
  /** A successful SDK call: the command's output as the SDK returns it. */
  | { kind: "cloudfront"; output: unknown }
  /** An SDK error by name (`error.name`), message and HTTP status (`$metadata.httpStatusCode`, if any). */
  | { kind: "cloudfrontError"; name: string; message: string; httpStatus?: number };

/**
 * Sends one wire request. Network failures are thrown with `retryable: true`; anything else thrown is treated as
 * permanent (transportError). HTTP error statuses and SDK service errors are answers, not throws.
 */
export type CdnTransport = (request: CdnWireRequest) => Promise<CdnAnswer>;

export type CdnClassification =
  | {
      kind: "done";
      /** Fastly purge id, Cloudflare result id, CloudFront invalidation id, Akamai purgeId; null if the CDN gave none. */
      cdnId: string | null;
      /** Per-object ids where the CDN gives one per item (Fastly bulk key purge: key → purge id). */
      objectIds?: Record<string, string>;
      detail?: string;
    }
  | {
      kind: "retry";
      /** throttled/busy: the CDN said "later" (does not use up attempts); serverError/networkError: it failed. */
      cause: "throttled" | "busy" | "serverError" | "networkError";
      /** What the CDN asked for (Retry-After, reset time); undefined = the runner's backoff decides. */
      afterMs?: number;
      status?: number;
      detail: string;
      /** True when the refused request cost no rate-limit tokens (give them back to the pacer). */
      refund?: boolean;
    }
  | { kind: "failed"; reason: ReasonCode; status?: number; detail: string };

/** The provider's local model of the CDN's rate limits, for one run. Times in ms from the injected clock. */
export interface CdnPacer {
  /** Ms until `request` may be sent (0 = now). */
  waitMs(request: PlannedRequest): number;
  /** Records the request as sent. */
  take(request: PlannedRequest): void;
  /** Gives back what take took (the CDN said the request cost nothing). */
  refund(request: PlannedRequest): void;
  /** Corrects the model from an answer (rate-limit headers, Retry-After). */
  observe(request: PlannedRequest, answer: CdnAnswer): void;
}

export interface CdnLimits {
  /** Most items one request may carry, per request type. */
  maxItemsPerRequest: Partial<Record<CdnObjectType, number>>;
  /** CloudFront: most wildcard paths per request (and in flight per distribution). */
  maxWildcardsPerRequest?: number;
}

export interface CdnProvider {
  readonly cdn: CdnName;
  /** Object types this provider (as configured) accepts; anything else is rejected with unsupportedType. */
  readonly objectTypes: readonly CdnObjectType[];
  readonly limits: CdnLimits;
  /** Requests in flight at once. */
  readonly maxParallel: number;
  validate(objects: readonly CdnObjectInput[]): CdnValidation;
  /** Every accepted object lands in exactly one request; no request is over a limit. */
  plan(accepted: readonly AcceptedObject[], context?: PlanContext): PlannedRequest[];
  /** The fewest requests the CDN's limits allow for these objects (for tests and the bench). */
  minimumRequests(accepted: readonly AcceptedObject[]): number;
  /** Checks a planned request (e.g. one read back from a queue) before sending; a string says what is wrong. */
  checkRequest(request: PlannedRequest): string | undefined;
  buildRequest(request: PlannedRequest): CdnWireRequest;
  /** `now` is the injected clock's time (ms), for reset-time headers. */
  classify(request: PlannedRequest, answer: CdnAnswer, now: number): CdnClassification;
  createPacer(now: () => number): CdnPacer;
}

/** A pacer that never waits: for CDNs (or request kinds) without a client-side rate model. */
export function unpacedPacer(): CdnPacer {
  return { waitMs: () => 0, take: () => undefined, refund: () => undefined, observe: () => undefined };
}

/** Bad configuration given to a provider; `field` names it. */
export class CdnConfigError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = "CdnConfigError";
    this.field = field;
  }
}
