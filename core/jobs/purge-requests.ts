/**
 * The purge API's logic, free of API Gateway: `submitPurge` for POST /purge and `readPurgeJob` for
 * GET /purge/{jobId}. Each returns the HTTP status and the JSON body; the handler only shapes them.
 *
 * POST, in order: body size (413) → JSON and fields (400, naming the field and what is allowed) →
 * object count (413) → network allowed here (403) → each object (bad ones go to `rejected` with a reason;
 * none left → 400) → plan batches and their send times (core/jobs/schedule.ts) → queue one message per
 * batch, delayed towards its send time → record the job (its item last) → 202. A job is recorded only
 * once all its batches are queued, so an answered job always reaches the worker.
 * With `wait: true` and a single batch, the batch is also sent inline and the answer is 201 with the purge
 * result; its message was queued first, out of sight for INLINE_GUARD_SECONDS, and finds the batch done.
 * If Fast Purge asks to wait (429, rate limit, 5xx, network) that message does the purge (202).
 * Every accepted object ends in a batch that the job records; nothing accepted is dropped.
 */
import type * as z from "zod/mini";
import type { AppLogger, PurgeMetrics } from "../observability";
import { failureReasonCode } from "../purge/failure-reasons";
import { PURGE_ACTIONS, PURGE_NETWORKS, PURGE_TYPES, describe, type PurgeNetwork, type PurgeType, type RejectedObject } from "../purge/objects";
import type { PurgeBatch } from "../purge/planner";
import { preparePurge } from "../purge/prepare";
import {
  PURGE_API_REQUEST_FIELDS,
  purgeApiRequestSchema,
  type BatchView,
  type ErrorAnswer,
  type JobView,
  type NotRecordedAnswer,
  type RejectedAnswer,
  type RejectedEntry,
  type SubmitAnswer,
} from "./purge-api-contract";
import { JOB_ID_EXAMPLE, JOB_ID_PATTERN } from "./message";
import type { PurgePolicy } from "./policy";
import { PURGE_MAX_PLAN_AHEAD_SECONDS, clampDelay, type BatchQueue } from "./queue-settings";
import { planSendTimes, type PacingState, type SendPlan } from "./schedule";
import { sendBatch, type PurgeSendDeps } from "./send";
import type { BatchRecord, JobStorePort, JobWithBatches } from "./records";

export interface ApiAnswer {
  statusCode: number;
  /** One of the contract's answers (purge-api-contract.ts). */
  body: Record<string, unknown>;
}

export interface PurgeApiDeps {
  policy: PurgePolicy;
  jobs: JobStorePort;
  queue: BatchQueue;
  newJobId: () => string;
  logger: AppLogger;
  metrics: PurgeMetrics;
  /** How inline (`wait: true`) purges are sent; without it `wait` is accepted but every job is queued. */
  inline?: PurgeSendDeps;
  /** Largest job sent inline, in batches. Default 1. */
  inlineMaxBatches?: number;
  /** SendMessage calls in flight at once. Default 8. */
  enqueueConcurrency?: number;
  /** Epoch ms, for the send plan. Default Date.now. */
  now?: () => number;
}

/** An inline purge's queued message stays invisible this long: beyond API Gateway's 29 s. */
export const INLINE_GUARD_SECONDS = 60;

export interface PurgeSubmission {
  /** The request body as API Gateway gives it. */
  body: string | undefined;
  isBase64Encoded?: boolean;
  /** The caller's IAM ARN, recorded on the job. */
  requestedBy: string;
}

export const REQUEST_FIELDS = PURGE_API_REQUEST_FIELDS;
export const DEFAULT_NETWORK: PurgeNetwork = "staging";

/** Listing stops here so the answer stays far below Lambda's 6 MB response limit. */
const REJECTED_LIST_BUDGET_BYTES = 1_000_000;
const ECHO_MAX_CHARS = 200;

export async function submitPurge(submission: PurgeSubmission, deps: PurgeApiDeps): Promise<ApiAnswer> {
  const { policy } = deps;
  const raw = submission.body ?? "";
  const bytes = submission.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  if (bytes.length > policy.maxRequestBytes) {
    return answer(413, {
      error:
        `request body is ${bytes.length} bytes; this environment accepts at most ${policy.maxRequestBytes} bytes ` +
        `per request: split the objects over several requests`,
      limit: policy.maxRequestBytes,
    });
  }
  if (bytes.length === 0) return badRequest("(body)", `request body is empty; expected JSON like ${EXAMPLE_BODY}`);

  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch {
    return badRequest("(body)", `request body is not valid JSON; expected JSON like ${EXAMPLE_BODY}`);
  }
  const parsed = purgeApiRequestSchema.safeParse(json);
  if (!parsed.success) return badRequestFromIssues(json, parsed.error.issues, policy);
  const request = parsed.data;

  if (request.objects.length > policy.maxObjectsPerRequest) {
    return answer(413, {
      error:
        `objects has ${request.objects.length} entries; this environment accepts at most ${policy.maxObjectsPerRequest} ` +
        `objects per request: split them over several requests`,
      field: "objects",
      limit: policy.maxObjectsPerRequest,
    });
  }
  const network = request.network ?? DEFAULT_NETWORK;
  if (!policy.allowedNetworks.includes(network)) {
    return answer(403, {
      error:
        `network ${network} is not allowed in this environment; allowed: ${policy.allowedNetworks.join(", ")}` +
        (request.network === undefined ? ` (network defaults to ${DEFAULT_NETWORK}; set it explicitly)` : ""),
      field: "network",
      allowed: policy.allowedNetworks,
    });
  }
  const action = request.action ?? policy.defaultAction;
  const type = request.type;

  const prepared = preparePurge({ type, action, network, objects: request.objects, allowedHostnames: policy.allowedHostnames });
  const { plan, rejected, duplicates } = prepared;
  const accepted = prepared.accepted.length;
  const listed = listRejected(rejected);
  if (plan.batches.length === 0) {
    return answer(400, {
      error: `no valid objects: ${describeCount(rejected.length, "object")} rejected${duplicates > 0 ? `, ${duplicates} duplicate(s)` : ""}; see rejected for each reason`,
      field: "objects",
      ...listed,
    } satisfies RejectedAnswer);
  }

  // Queue first, record second, answer last: once the job item exists every batch is in SQS, so a job
  // answered 202 is never left "queued" by a purge-api that stops half way. If queueing fails nothing is
  // recorded and the caller sends again; messages already queued for it are dropped by the worker, which
  // purges only batches of recorded jobs.
  const jobId = deps.newJobId();
  const now = (deps.now ?? Date.now)();
  const summary = { jobId, batches: plan.batches.length, objects: accepted, ...listed, duplicates } satisfies SubmitAnswer;
  let planned: SendPlan;
  try {
    planned = await reservePacing(type, plan.batches, now, jobId, deps);
  } catch (error) {
    if (!(error instanceof ScheduleFullError)) throw error;
    const { jobId: _notRecorded, ...unrecorded } = summary;
    return answer(503, {
      error:
        `the account's ${type} purges are booked: this job's last batch could not go before ` +
        `${new Date(error.lastSendAtMs).toISOString()}, beyond the ${PURGE_MAX_PLAN_AHEAD_SECONDS / 3600} hours ahead the purge ` +
        `queue keeps messages for; nothing was recorded: send it again later`,
      ...unrecorded,
      retryAfterSeconds: Math.ceil((error.firstSendAtMs - now) / 1000),
    } satisfies NotRecordedAnswer);
  }
  const inlineAsked = request.wait === true && deps.inline !== undefined && plan.batches.length <= (deps.inlineMaxBatches ?? 1);
  // Inline only when the plan lets the batch go now (not behind the account's other purges).
  const inlineWanted = inlineAsked && (planned.sendAtMs[0] ?? now) <= now;
  // An inline purge keeps its message out of sight until the inline try is over (answered or abandoned).
  const earliest = inlineWanted ? now + INLINE_GUARD_SECONDS * 1000 : now;
  const sendAtMs = planned.sendAtMs.map((at) => Math.max(at, earliest));

  const notQueued = await enqueue(jobId, plan.batches, sendAtMs, now, deps);
  if (notQueued.length > 0) {
    // No jobId: there is no job to follow.
    const { jobId: _notRecorded, ...unrecorded } = summary;
    return answer(503, {
      error:
        `could not queue ${notQueued.length} of ${plan.batches.length} batch(es), so the job was not recorded and ` +
        `nothing will be purged for it: send the request again`,
      ...unrecorded,
      notQueued,
    } satisfies NotRecordedAnswer);
  }
  await deps.jobs.createJob({
    jobId,
    type,
    action,
    network,
    requestedBy: submission.requestedBy,
    rejected: rejected.length,
    duplicates,
    batches: plan.batches.map((batch) => ({ objects: batch.objects.length, bodyBytes: batch.bodyBytes })),
  });
  const lastSendAt = sendAtMs[sendAtMs.length - 1] ?? now;
  deps.logger.info("purge job queued and recorded", {
    jobId,
    type,
    action,
    network,
    batches: plan.batches.length,
    objects: accepted,
    rejected: rejected.length,
    duplicates,
    requestedBy: submission.requestedBy,
    plannedSeconds: Math.ceil((lastSendAt - now) / 1000),
  });

  let inlineFallback = inlineAsked && !inlineWanted ? "not sent inline: the account's purges planned before it go first; queued" : undefined;
  const only = plan.batches[0];
  if (inlineWanted && deps.inline !== undefined && only !== undefined) {
    const inline = await sendInline(jobId, only, deps.inline, deps);
    if (inline.kind === "answered") {
      return answer(inline.statusCode, { ...summary, ...inline.body } satisfies SubmitAnswer);
    }
    inlineFallback = inline.reason;
  }
  return answer(202, { ...summary, status: "queued", ...(inlineFallback ? { inline: inlineFallback } : {}) } satisfies SubmitAnswer);
}

type InlineResult =
  | { kind: "answered"; statusCode: number; body: Pick<SubmitAnswer, "status" | "purgeId" | "estimatedSeconds" | "supportId" | "error" | "failure"> }
  | { kind: "queue"; reason: string };

async function sendInline(jobId: string, batch: PurgeBatch, send: PurgeSendDeps, deps: PurgeApiDeps): Promise<InlineResult> {
  // One try here: a retry belongs to the worker, whose waits do not hold an API call open.
  const outcome = await sendBatch(batch, { attempt: 1, maxAttempts: 2, context: { jobId, batchIndex: 0, inline: true } }, send);
  if (outcome.kind === "done") {
    const { purgeId, estimatedSeconds, supportId } = outcome.accepted;
    try {
      if (await deps.jobs.markBatchDone(jobId, 0, { purgeId, estimatedSeconds, supportId })) {
        deps.metrics.objectsPurged(batch.objects.length);
      }
    } catch (error) {
      // Akamai has it, but the job does not say so: the batch's message (queued before the job was
      // recorded) purges it again (harmless) and records the result.
      deps.logger.error("inline purge accepted but not recorded; the queued message will purge and record it", {
        jobId,
        purgeId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
    return { kind: "answered", statusCode: 201, body: { status: "done", purgeId, estimatedSeconds, supportId } };
  }
  if (outcome.kind === "failed") {
    const failure = {
      reason: outcome.reason,
      detail: outcome.detail,
      ...(outcome.status !== undefined ? { status: outcome.status } : {}),
      ...(outcome.supportId !== undefined ? { supportId: outcome.supportId } : {}),
    };
    await deps.jobs.markBatchFailed(jobId, 0, failure);
    // Akamai refused the request itself (400/403/413): the caller's objects or permissions; anything else
    // (credential refused, unreadable answer) is this service's upstream problem.
    const statusCode = outcome.reason === "rejected" ? 422 : 502;
    return {
      kind: "answered",
      statusCode,
      body: { status: "failed", error: `Fast Purge did not accept the purge: ${outcome.detail}`, failure },
    };
  }
  const reason =
    outcome.kind === "credentialUnavailable"
      ? "not sent inline: the EdgeGrid credential is unavailable; queued"
      : outcome.cause === "throttled"
        ? "not sent inline: Fast Purge answered 429; queued"
        : outcome.cause === "rateLimitModel"
          ? "not sent inline: the account's purge rate limit needs a wait; queued"
          : "not sent inline: Fast Purge did not answer cleanly; queued for retries";
  return { kind: "queue", reason };
}

/**
 * The job's send plan, queued behind the jobs planned before it (the shared pacing state in the store).
 * If that state cannot be read or written, the plan takes the buckets as full: the worker then waits out
 * what the plan did not foresee, which costs receives but never attempts.
 */
async function reservePacing(type: PurgeType, batches: readonly PurgeBatch[], now: number, jobId: string, deps: PurgeApiDeps): Promise<SendPlan> {
  const counts = batches.map((batch) => batch.objects.length);
  const planWithin = (state: PacingState | undefined): SendPlan => {
    const planned = planSendTimes(type, counts, now, state);
    const first = planned.sendAtMs[0] ?? now;
    const last = planned.sendAtMs[planned.sendAtMs.length - 1] ?? now;
    if (last - now > PURGE_MAX_PLAN_AHEAD_SECONDS * 1000) throw new ScheduleFullError(first, last);
    return planned;
  };
  try {
    return await deps.jobs.reservePacing(type, planWithin);
  } catch (error) {
    if (error instanceof ScheduleFullError) throw error;
    deps.logger.warn("could not use the shared pacing state; planning this job as if the buckets were full", {
      jobId,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return planWithin(undefined);
  }
}

/** The job's last batch would go later than its messages are kept; nothing was reserved. */
class ScheduleFullError extends Error {
  override name = "ScheduleFullError";
  constructor(
    readonly firstSendAtMs: number,
    readonly lastSendAtMs: number,
  ) {
    super(`the plan ends at ${new Date(lastSendAtMs).toISOString()}`);
  }
}

/**
 * Sends one message per batch, each carrying its planned send time and delayed towards it (up to SQS's
 * 15 minutes; the worker hands an early message back until its time). Returns the indexes not queued.
 */
async function enqueue(
  jobId: string,
  batches: readonly PurgeBatch[],
  sendAtMs: readonly number[],
  now: number,
  deps: PurgeApiDeps,
): Promise<number[]> {
  const sent = new Set<number>();
  let failed = false;
  const concurrency = Math.max(1, deps.enqueueConcurrency ?? 8);
  let next = 0;
  const worker = async (): Promise<void> => {
    // After one failure the job will not be recorded, so queueing more would only make work to drop.
    for (let i = next++; i < batches.length && !failed; i = next++) {
      const batch = batches[i] as PurgeBatch;
      const notBefore = sendAtMs[i] ?? now;
      try {
        await deps.queue.send(
          { jobId, batchIndex: i, type: batch.type, action: batch.action, network: batch.network, objects: batch.objects, notBefore },
          clampDelay((notBefore - now) / 1000),
        );
        sent.add(i);
      } catch (error) {
        const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        deps.logger.error("could not queue a purge batch; the job is not recorded", { jobId, batchIndex: i, detail });
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  return batches.map((_, i) => i).filter((i) => !sent.has(i));
}

/** GET /purge/{jobId}. */
export async function readPurgeJob(jobId: string | undefined, deps: Pick<PurgeApiDeps, "jobs">): Promise<ApiAnswer> {
  if (jobId === undefined || !JOB_ID_PATTERN.test(jobId)) {
    return badRequest(
      "jobId",
      `jobId ${jobId === undefined ? "is missing" : `${describe(jobId)} is not a job id`}; expected the jobId ` +
        `POST /purge answered, a lower-case UUID like ${JOB_ID_EXAMPLE}`,
    );
  }
  const found = await deps.jobs.getJob(jobId);
  if (found === undefined) return answer(404, { error: `no purge job ${jobId} (jobs are kept for 7 days)` });
  return answer(200, jobView(found));
}

export function jobView({ job, batches, status }: JobWithBatches): JobView {
  return {
    jobId: job.jobId,
    status,
    createdAt: job.createdAt,
    network: job.network,
    action: job.action,
    type: job.type,
    objects: job.objects,
    rejected: job.rejected,
    duplicates: job.duplicates,
    requestedBy: job.requestedBy,
    batches: batches.map(batchView),
  };
}

function batchView(batch: BatchRecord): BatchView {
  const view: BatchView = { index: batch.index, status: batch.status, objects: batch.objects };
  if (batch.purgeId !== undefined) view.purgeId = batch.purgeId;
  if (batch.estimatedSeconds !== undefined && batch.estimatedSeconds !== null) view.estimatedSeconds = batch.estimatedSeconds;
  if (batch.status === "done" && typeof batch.supportId === "string") view.supportId = batch.supportId;
  if (batch.error !== undefined && batch.status !== "done") {
    const { reason, status, detail, supportId } = batch.error;
    view.error = {
      // Records written before the codes were unified say e.g. "retries exhausted"; the view says the code.
      reason: failureReasonCode(reason),
      ...(status !== undefined ? { status } : {}),
      ...(detail !== undefined ? { detail } : {}),
      ...(supportId !== undefined ? { supportId } : {}),
    };
  }
  if (batch.retryAfterSeconds !== undefined && (batch.status === "throttled" || batch.status === "retrying")) {
    view.retryAfterSeconds = batch.retryAfterSeconds;
  }
  return view;
}

// ---------------------------------------------------------------------------------------------------

const EXAMPLE_BODY = '{"type":"url","objects":["https://www.example.com/a"],"network":"staging"}';

function answer(statusCode: number, body: SubmitAnswer | NotRecordedAnswer | RejectedAnswer | ErrorAnswer | JobView): ApiAnswer {
  return { statusCode, body };
}

function badRequest(field: string, message: string): ApiAnswer {
  return answer(400, { error: message, field });
}

function badRequestFromIssues(json: unknown, issues: readonly z.core.$ZodIssue[], policy: PurgePolicy): ApiAnswer {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return badRequest("(body)", `request body must be a JSON object like ${EXAMPLE_BODY}; got ${describe(json)}`);
  }
  const given = json as Record<string, unknown>;
  const errors: Array<{ field: string; message: string }> = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((key) => JSON.stringify(key.length > 50 ? `${key.slice(0, 50)}...` : key));
      errors.push({
        field: issue.keys[0] ?? "(body)",
        message: `unknown field${issue.keys.length > 1 ? "s" : ""} ${keys.join(", ")}; allowed: ${REQUEST_FIELDS.join(", ")}`,
      });
      continue;
    }
    const field = String(issue.path[0] ?? "(body)");
    if (errors.some((e) => e.field === field)) continue;
    const missing = !Object.prototype.hasOwnProperty.call(given, field);
    const got = missing ? "" : `; got ${describe(given[field])}`;
    switch (field) {
      case "type":
        errors.push({ field, message: `type ${missing ? "is required" : "is not valid"}: use one of ${PURGE_TYPES.join(", ")}${got}` });
        break;
      case "objects":
        errors.push({
          field,
          message: missing
            ? "objects is required: a non-empty array of URLs, CP codes or cache tags"
            : Array.isArray(given.objects)
              ? "objects is empty: give at least one URL, CP code or cache tag"
              : `objects must be an array of URLs, CP codes or cache tags${got}`,
        });
        break;
      case "action":
        errors.push({ field, message: `action must be one of ${PURGE_ACTIONS.join(", ")} (default ${policy.defaultAction})${got}` });
        break;
      case "network":
        errors.push({
          field,
          message: `network must be one of ${PURGE_NETWORKS.join(", ")} (default ${DEFAULT_NETWORK}; allowed here: ${policy.allowedNetworks.join(", ")})${got}`,
        });
        break;
      case "wait":
        errors.push({ field, message: `wait must be true or false${got}` });
        break;
      default:
        errors.push({ field, message: `${field}: ${issue.message}` });
    }
  }
  const first = errors[0] ?? { field: "(body)", message: "request body is not valid" };
  return answer(400, {
    error: errors.map((e) => e.message).join("; "),
    field: first.field,
    ...(errors.length > 1 ? { errors } : {}),
  });
}

function listRejected(rejected: readonly RejectedObject[]): { rejected: RejectedEntry[]; rejectedNotListed?: number } {
  const listed: RejectedEntry[] = [];
  let budget = REJECTED_LIST_BUDGET_BYTES;
  for (const entry of rejected) {
    const shown = { index: entry.index, object: echo(entry.object), reason: entry.reason };
    budget -= Buffer.byteLength(JSON.stringify(shown), "utf8");
    if (budget < 0) return { rejected: listed, rejectedNotListed: rejected.length - listed.length };
    listed.push(shown);
  }
  return { rejected: listed };
}

/** The rejected object as given, shortened when long (the index identifies it exactly). */
function echo(value: unknown): unknown {
  if (typeof value === "string") return value.length > ECHO_MAX_CHARS ? `${value.slice(0, ECHO_MAX_CHARS)}...` : value;
  if (typeof value === "number" || typeof value === "boolean" || value === null) return value;
  return describe(value);
}

function describeCount(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
