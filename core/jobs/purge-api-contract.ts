/**
 * The purge HTTP API's contract, one schema per message, shared by the writer (purge-api,
 * core/jobs/purge-requests.ts) and the reader (the CLI's --env path, cli/purge/via-api.ts):
 *
 *   POST /purge         request  PurgeApiRequest   → answer SubmitAnswer (202 queued, 201 done inline,
 *                                                     422/502 failed inline), NotRecordedAnswer (503: the
 *                                                     job could not be queued or scheduled; nothing was
 *                                                     recorded, send again), RejectedAnswer (400, no valid
 *                                                     objects) or ErrorAnswer (400, 403, 413)
 *   GET /purge/{jobId}                               → answer JobView (200) or ErrorAnswer (400, 404)
 *
 * The request is read strictly (unknown fields are errors that name the field). Answers are written to
 * these types and read tolerantly (object schemas ignore unknown fields), so a newer service can add fields.
 * zod/mini: purge-api bundles this file.
 */
import * as z from "zod/mini";
import { CDN_NAMES } from "../cdn/types";
import { PURGE_ACTIONS, PURGE_NETWORKS, PURGE_TYPES } from "../purge/objects";
import { BATCH_STATUSES, JOB_STATUSES } from "./status";

/**
 * Object types the API takes: Akamai's (url, cpcode, tag) and, in an environment with other CDNs, host and prefix
 * (Cloudflare) and path (CloudFront). Which targets take which type: core/jobs/fan-out.ts.
 */
export const PURGE_API_TYPES = [...PURGE_TYPES, "host", "prefix", "path"] as const;
export type PurgeApiType = (typeof PURGE_API_TYPES)[number];

export const purgeApiRequestSchema = z.strictObject({
  type: z.enum(PURGE_API_TYPES),
  objects: z.array(z.unknown()).check(z.minLength(1)),
  action: z.optional(z.enum(PURGE_ACTIONS)),
  network: z.optional(z.enum(PURGE_NETWORKS)),
  wait: z.optional(z.boolean()),
  /** Only these CDN targets (targetKey: "akamai", "fastly:SERVICE", ...); default every target serving the objects. */
  cdns: z.optional(z.array(z.string()).check(z.minLength(1))),
});
export type PurgeApiRequest = z.infer<typeof purgeApiRequestSchema>;
export const PURGE_API_REQUEST_FIELDS = ["type", "objects", "action", "network", "wait", "cdns"] as const;

/** One refused object: its position in the request, the object as given (shortened when long), why. */
export const rejectedEntrySchema = z.object({
  index: z.number(),
  object: z.unknown(),
  reason: z.string(),
  /** Multi-CDN environments: the target that refused the object (absent when no target takes it at all). */
  target: z.optional(z.string()),
  /** The reason code (FAILURE_REASONS / REASON_CODES), where `reason` is a sentence. */
  code: z.optional(z.string()),
});
export type RejectedEntry = z.infer<typeof rejectedEntrySchema>;

/** A failure as the API reports it; `reason` is a FAILURE_REASONS code (core/purge/failure-reasons.ts). */
export const failureSchema = z.object({
  reason: z.string(),
  status: z.optional(z.number()),
  detail: z.optional(z.string()),
  supportId: z.optional(z.string()),
});
export type ApiFailure = z.infer<typeof failureSchema>;

/** The answer of POST /purge whenever a job was recorded. */
export const submitAnswerSchema = z.object({
  jobId: z.string(),
  /** Batches (Fast Purge requests) the job holds. */
  batches: z.number(),
  /** Objects accepted. */
  objects: z.number(),
  rejected: z.array(rejectedEntrySchema),
  /** Rejected objects left out of `rejected` to keep the answer small. */
  rejectedNotListed: z.optional(z.number()),
  duplicates: z.number(),
  /** Multi-CDN environments: batches and objects per CDN target. */
  cdns: z.optional(z.array(z.object({ target: z.string(), cdn: z.enum(CDN_NAMES), batches: z.number(), objects: z.number() }))),
  /** "queued" (202), "done" (201, inline), "failed" (422/502, inline); absent on 503. */
  status: z.optional(z.string()),
  /** Why a `wait: true` request was queued instead of sent inline. */
  inline: z.optional(z.string()),
  error: z.optional(z.string()),
  purgeId: z.optional(z.string()),
  estimatedSeconds: z.optional(z.nullable(z.number())),
  supportId: z.optional(z.nullable(z.string())),
  failure: z.optional(failureSchema),
});
export type SubmitAnswer = z.infer<typeof submitAnswerSchema>;

/** 503: no job was recorded (nothing will be purged for this request); `error` says why and what to do. */
export const notRecordedAnswerSchema = z.object({
  error: z.string(),
  batches: z.number(),
  objects: z.number(),
  rejected: z.array(rejectedEntrySchema),
  rejectedNotListed: z.optional(z.number()),
  duplicates: z.number(),
  /** Batch indexes that could not be queued. */
  notQueued: z.optional(z.array(z.number())),
  /** The account's purges are booked: the earliest this job could start, from now. */
  retryAfterSeconds: z.optional(z.number()),
});
export type NotRecordedAnswer = z.infer<typeof notRecordedAnswerSchema>;

/** 400 "no valid objects": every object is listed with its reason. */
export const rejectedAnswerSchema = z.object({
  error: z.string(),
  field: z.optional(z.string()),
  rejected: z.array(rejectedEntrySchema),
  rejectedNotListed: z.optional(z.number()),
});
export type RejectedAnswer = z.infer<typeof rejectedAnswerSchema>;

/** Any other refusal (and API Gateway's own `{"message"}` answers are read as text). */
export const errorAnswerSchema = z.object({
  error: z.string(),
  field: z.optional(z.string()),
  errors: z.optional(z.array(z.object({ field: z.string(), message: z.string() }))),
  limit: z.optional(z.number()),
  allowed: z.optional(z.array(z.string())),
});
export type ErrorAnswer = z.infer<typeof errorAnswerSchema>;

export const batchViewSchema = z.object({
  index: z.number(),
  status: z.enum(BATCH_STATUSES),
  objects: z.number(),
  purgeId: z.optional(z.string()),
  estimatedSeconds: z.optional(z.nullable(z.number())),
  supportId: z.optional(z.string()),
  error: z.optional(failureSchema),
  /** While throttled or retrying: seconds until the next try. */
  retryAfterSeconds: z.optional(z.number()),
  /** Multi-CDN environments: the batch's CDN and target (targetKey). */
  cdn: z.optional(z.enum(CDN_NAMES)),
  target: z.optional(z.string()),
  /** Done on Fastly, Cloudflare or CloudFront: the CDN's id (purge id, result id, invalidation id). */
  cdnId: z.optional(z.nullable(z.string())),
  /** The batch purged more than was asked for, e.g. "purgeAllInsteadOfTags" (CloudFront without cache tags). */
  substitution: z.optional(z.string()),
});
export type BatchView = z.infer<typeof batchViewSchema>;

/** Per CDN target, in a multi-CDN environment's job: its batches and objects by state, and its ids. */
export const targetViewSchema = z.object({
  target: z.string(),
  cdn: z.enum(CDN_NAMES),
  batches: z.number(),
  done: z.number(),
  failed: z.number(),
  pending: z.number(),
  objects: z.number(),
  objectsDone: z.number(),
  objectsFailed: z.number(),
  /** The ids of the done batches (Akamai purgeId, Fastly purge id, Cloudflare result id, CloudFront invalidation id). */
  ids: z.array(z.string()),
  /** Failure codes seen, once each. */
  reasons: z.array(z.string()),
});
export type TargetView = z.infer<typeof targetViewSchema>;

/** GET /purge/{jobId}. */
export const jobViewSchema = z.object({
  jobId: z.string(),
  status: z.enum(JOB_STATUSES),
  createdAt: z.string(),
  network: z.enum(PURGE_NETWORKS),
  action: z.enum(PURGE_ACTIONS),
  type: z.enum(PURGE_API_TYPES),
  objects: z.number(),
  rejected: z.number(),
  duplicates: z.number(),
  requestedBy: z.string(),
  batches: z.array(batchViewSchema),
  /** Multi-CDN environments: the job per CDN target. */
  cdns: z.optional(z.array(targetViewSchema)),
});
export type JobView = z.infer<typeof jobViewSchema>;
