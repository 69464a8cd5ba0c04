/**
 * The SQS message for one planned batch: which job and batch it belongs to, and everything needed to send
 * it (type, action, network, objects), so the worker never has to read the objects back from DynamoDB.
 * A 50,000-byte batch body makes a message of about 50 KB, well under SQS's 256 KB.
 */
import { randomUUID } from "node:crypto";
import * as z from "zod/mini";
import {
  PURGE_ACTIONS,
  PURGE_NETWORKS,
  PURGE_TYPES,
  type PurgeAction,
  type PurgeNetwork,
  type PurgeObject,
  type PurgeType,
} from "../purge/objects";
import { MAX_OBJECTS_PER_REQUEST, purgePath, type PurgeBatch } from "../purge/planner";
import { plannedRequestSchema, type PlannedRequest } from "../cdn/types";

/** crypto.randomUUID(): lower-case version 4 UUIDs. */
export const JOB_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const JOB_ID_EXAMPLE = "3f2b8c1e-5d4a-4c6b-9e7f-0a1b2c3d4e5f";

export const newJobId = (): string => randomUUID();

export interface BatchMessage {
  jobId: string;
  batchIndex: number;
  type: PurgeType;
  action: PurgeAction;
  network: PurgeNetwork;
  objects: PurgeObject[];
  /**
   * The job's send plan (core/jobs/schedule.ts): not before this time (epoch ms). The worker hands a
   * message that arrives earlier back to SQS until then, without counting an attempt.
   */
  notBefore?: number;
}

const messageSchema = z.strictObject({
  jobId: z.string().check(z.regex(JOB_ID_PATTERN)),
  batchIndex: z.int().check(z.nonnegative()),
  type: z.enum(PURGE_TYPES),
  action: z.enum(PURGE_ACTIONS),
  network: z.enum(PURGE_NETWORKS),
  objects: z
    .array(z.union([z.string().check(z.minLength(1)), z.int().check(z.positive())]))
    .check(z.minLength(1), z.maxLength(Math.max(...Object.values(MAX_OBJECTS_PER_REQUEST)))),
  notBefore: z.optional(z.int().check(z.nonnegative())),
});

/**
 * A batch for a CDN other than Akamai (Fastly, Cloudflare, CloudFront): the provider's planned request as
 * it was planned by purge-api (its CloudFront CallerReference fixed), and the target it goes to. Akamai
 * batches keep their own message (BatchMessage) unchanged.
 */
export interface CdnBatchMessage {
  jobId: string;
  batchIndex: number;
  /** targetKey() of the environment's CDN target, e.g. "fastly:SERVICEID". */
  target: string;
  request: PlannedRequest;
  notBefore?: number;
}

/** Any message on the purge queue. */
export type QueueMessage = BatchMessage | CdnBatchMessage;

export function isCdnBatchMessage(message: QueueMessage): message is CdnBatchMessage {
  return "request" in message;
}

const cdnMessageSchema = z.strictObject({
  jobId: z.string().check(z.regex(JOB_ID_PATTERN)),
  batchIndex: z.int().check(z.nonnegative()),
  target: z.string().check(z.minLength(1), z.maxLength(200)),
  request: plannedRequestSchema,
  notBefore: z.optional(z.int().check(z.nonnegative())),
});

export function encodeBatchMessage(message: QueueMessage): string {
  if (isCdnBatchMessage(message)) {
    const { jobId, batchIndex, target, request, notBefore } = message;
    return JSON.stringify({ jobId, batchIndex, target, request, ...(notBefore !== undefined ? { notBefore } : {}) });
  }
  const { jobId, batchIndex, type, action, network, objects, notBefore } = message;
  return JSON.stringify({ jobId, batchIndex, type, action, network, objects, ...(notBefore !== undefined ? { notBefore } : {}) });
}

export type DecodedMessage =
  | { ok: true; message: QueueMessage }
  /** `jobId`/`batchIndex` are set when they could be read, so the job can record the problem. */
  | { ok: false; problem: string; jobId?: string; batchIndex?: number };

export function decodeBatchMessage(body: string): DecodedMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, problem: "message body is not JSON" };
  }
  const isCdn = typeof value === "object" && value !== null && "request" in value;
  const result = isCdn ? cdnMessageSchema.safeParse(value) : messageSchema.safeParse(value);
  if (result.success) {
    const { notBefore, ...rest } = result.data;
    return { ok: true, message: { ...rest, ...(notBefore !== undefined ? { notBefore } : {}) } };
  }
  const problem = result.error.issues
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .slice(0, 5)
    .join("; ");
  const record = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  const jobId = typeof record.jobId === "string" && JOB_ID_PATTERN.test(record.jobId) ? record.jobId : undefined;
  const batchIndex =
    Number.isInteger(record.batchIndex) && (record.batchIndex as number) >= 0 ? (record.batchIndex as number) : undefined;
  return { ok: false, problem, ...(jobId !== undefined && batchIndex !== undefined ? { jobId, batchIndex } : {}) };
}

/** The Fast Purge request a message stands for (the same path and body the planner made). */
export function batchFromMessage(message: BatchMessage): PurgeBatch {
  const body = JSON.stringify({ objects: message.objects });
  return {
    type: message.type,
    action: message.action,
    network: message.network,
    path: purgePath(message.action, message.type, message.network),
    objects: message.objects,
    body,
    bodyBytes: Buffer.byteLength(body, "utf8"),
  };
}
