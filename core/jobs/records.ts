/**
 * What a purge job and its batches look like once recorded, and the operations any job store offers.
 * The DynamoDB store (functions/aws/job-store.ts) implements them; tests use the same store over a fake.
 */
import type { CdnName } from "../cdn/types";
import type { PurgeAction, PurgeNetwork, PurgeType } from "../purge/objects";
import type { PurgeApiType } from "./purge-api-contract";
import type { PacingState, SendPlan } from "./schedule";
import type { BatchStatus, JobStatus } from "./status";

export const JOB_TTL_SECONDS = 7 * 24 * 3600;
export const JOB_ITEM = "job";
export const batchItemKey = (index: number): string => `batch#${index}`;

export interface BatchError {
  reason: string;
  /** HTTP status from Fast Purge, when there was one. */
  status?: number;
  detail?: string;
  supportId?: string;
}

export interface JobRecord {
  jobId: string;
  /** ISO 8601. */
  createdAt: string;
  type: PurgeApiType;
  action: PurgeAction;
  network: PurgeNetwork;
  /** Objects accepted (after validation and de-duplication). */
  objects: number;
  batches: number;
  /** Objects rejected by validation (reported to the caller when the job was submitted). */
  rejected: number;
  duplicates: number;
  /** The caller's IAM identity (API Gateway's requestContext.authorizer.iam.userArn), for audit. */
  requestedBy: string;
  /** The CDN targets (targetKey) the job went to; absent for jobs of an Akamai-only environment. */
  targets?: string[];
}

export interface BatchRecord {
  jobId: string;
  index: number;
  status: BatchStatus;
  objects: number;
  bodyBytes: number;
  updatedAt: string;
  purgeId?: string;
  estimatedSeconds?: number | null;
  supportId?: string | null;
  error?: BatchError;
  /** 429s recorded for this batch. */
  throttled?: number;
  /** When the batch is waiting: seconds until the next try, as set on the message. */
  retryAfterSeconds?: number;
  /** SQS ApproximateReceiveCount of the message that last updated the batch. */
  receiveCount?: number;
  /** Tries that failed for real (5xx, network, timeout, credential unreadable): the retry budget used. */
  attempts?: number;
  /** The CDN and target (targetKey) of the batch; absent for batches of an Akamai-only environment. */
  cdn?: CdnName;
  target?: string;
  /** Done on a CDN other than Akamai: its id (Fastly purge id, Cloudflare result id, CloudFront invalidation id). */
  cdnId?: string | null;
  /** Set when the batch purged more than was asked for (CloudFront "/*" instead of tags). */
  substitution?: string;
}

export interface JobWithBatches {
  job: JobRecord;
  batches: BatchRecord[];
  status: JobStatus;
}

/** Where a batch goes, in a job of a multi-CDN environment. */
export interface BatchTarget {
  cdn: CdnName;
  target: string;
  substitution?: string;
}

export interface NewJob {
  jobId: string;
  type: PurgeApiType;
  action: PurgeAction;
  network: PurgeNetwork;
  requestedBy: string;
  rejected: number;
  duplicates: number;
  batches: ReadonlyArray<{ objects: number; bodyBytes: number } & Partial<BatchTarget>>;
  targets?: string[];
}

export interface DoneResult {
  purgeId: string;
  estimatedSeconds: number | null;
  supportId: string | null;
}

/** A batch done on Fastly, Cloudflare or CloudFront: the CDN's id (null when it gave none). */
export interface CdnDoneResult {
  cdnId: string | null;
}

export interface WaitingUpdate {
  status: "throttled" | "retrying";
  retryAfterSeconds: number;
  /** HTTP status of the answer that made the batch wait (429, 5xx), if any. */
  httpStatus?: number;
  detail?: string;
  receiveCount?: number;
  /** Set when the wait follows a real failure: the batch's failed tries so far. Rate-limit waits leave it. */
  attempts?: number;
}

/** The store's operations, for code that takes any implementation (tests, the worker's subset). */
export interface JobStorePort {
  /**
   * Plans a job against the account's shared pacing state (where earlier jobs left the buckets) and saves
   * where this plan leaves them, so jobs sent together queue behind each other instead of all starting
   * with a full bucket. `plan` may run more than once (optimistic concurrency).
   */
  reservePacing(type: PurgeType, plan: (state: PacingState | undefined) => SendPlan): Promise<SendPlan>;
  createJob(job: NewJob): Promise<JobRecord>;
  getJob(jobId: string): Promise<JobWithBatches | undefined>;
  getBatch(jobId: string, index: number): Promise<BatchRecord | undefined>;
  /** Whether the job item is written: purge-api writes it last, once every batch is queued and recorded. */
  hasJob(jobId: string): Promise<boolean>;
  markBatchDone(jobId: string, index: number, result: DoneResult | CdnDoneResult): Promise<boolean>;
  markBatchFailed(jobId: string, index: number, error: BatchError, receiveCount?: number, attempts?: number): Promise<boolean>;
  markBatchWaiting(jobId: string, index: number, update: WaitingUpdate): Promise<boolean>;
}
