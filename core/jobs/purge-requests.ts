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
import {
  PURGE_ACTIONS,
  PURGE_NETWORKS,
  PURGE_TYPES,
  describe,
  type PurgeAction,
  type PurgeNetwork,
  type PurgeType,
  type RejectedObject,
} from "../purge/objects";
import type { PurgeBatch } from "../purge/planner";
import { preparePurge } from "../purge/prepare";
import { targetKey, type CdnRuntimeTarget } from "../../config/runtime-schema";
import { fanOutPurge } from "./fan-out";
import {
  PURGE_API_REQUEST_FIELDS,
  PURGE_API_TYPES,
  purgeApiRequestSchema,
  type PurgeApiType,
  type TargetView,
  type BatchView,
  type ErrorAnswer,
  type JobView,
  type NotRecordedAnswer,
  type RejectedAnswer,
  type RejectedEntry,
  type SubmitAnswer,
} from "./purge-api-contract";
import { JOB_ID_EXAMPLE, JOB_ID_PATTERN, type QueueMessage } from "./message";
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
  /**
   * The CDN targets serving the environment (EDGEPLANE_CDNS). Absent: Akamai alone, serving the purge policy's
   * allowedHostnames, exactly as before the multi-CDN targets existed.
   */
  cdns?: readonly CdnRuntimeTarget[];
  /** Read by the CDN providers for endpoint overrides (tests). Default process.env. */
  cdnEnv?: Record<string, string | undefined>;
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
  if (!parsed.success) return badRequestFromIssues(json, parsed.error.issues, policy, deps.cdns !== undefined);
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
  const cdns = deps.cdns;
  if (cdns !== undefined) return submitAcrossCdns(submission, { ...request, action, network }, cdns, deps);
  if (!isAkamaiType(request.type)) {
    return badRequest(
      "type",
      `type ${request.type} is not valid: use one of ${PURGE_TYPES.join(", ")}; got "${request.type}" ` +
        `(this environment purges with Akamai only; host and prefix need a Cloudflare target, path a CloudFront one)`,
    );
  }
  if (request.cdns !== undefined && request.cdns.some((key) => key !== "akamai")) {
    return answer(400, {
      error: `cdns names a CDN target this environment does not have; this environment purges with Akamai only; allowed: akamai`,
      field: "cdns",
      allowed: ["akamai"],
    });
  }
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

  const notQueued = await enqueue(akamaiMessages(jobId, plan.batches, sendAtMs, now), now, deps);
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

  let inlineFallback =
    inlineAsked && !inlineWanted ? "not sent inline: the account's purges planned before it go first; queued" : undefined;
  const only = plan.batches[0];
  if (inlineWanted && deps.inline !== undefined && only !== undefined) {
    const inline = await sendInline(jobId, only, deps.inline, deps);
    if (inline.kind === "answered") {
      return answer(inline.statusCode, { ...summary, ...inline.body } satisfies SubmitAnswer);
    }
    inlineFallback = inline.reason;
  }
  return answer(202, {
    ...summary,
    status: "queued",
    ...(inlineFallback ? { inline: inlineFallback } : {}),
  } satisfies SubmitAnswer);
}

/** Types Akamai purges (the only ones an Akamai-only environment takes). */
function isAkamaiType(type: PurgeApiType): type is PurgeType {
  return (PURGE_TYPES as readonly string[]).includes(type);
}

interface CdnRequest {
  type: PurgeApiType;
  objects: unknown[];
  action: PurgeAction;
  network: PurgeNetwork;
  wait?: boolean | undefined;
  cdns?: string[] | undefined;
}

/**
 * POST /purge in a multi-CDN environment: the objects fan out to the CDN targets that serve them
 * (core/jobs/fan-out.ts). Akamai's batches come first and are planned and paced exactly as in an Akamai-only
 * environment (the account-wide schedule); the other targets' batches follow, one planned request each, queued
 * without a delay: the worker paces them with each provider's limits, and a wait for a rate limit never counts
 * as an attempt. Queue first, record second, answer last, as for Akamai alone. Nothing is sent inline.
 */
async function submitAcrossCdns(
  submission: PurgeSubmission,
  request: CdnRequest,
  targets: readonly CdnRuntimeTarget[],
  deps: PurgeApiDeps,
): Promise<ApiAnswer> {
  const keys = targets.map(targetKey);
  const unknown = (request.cdns ?? []).filter((key) => !keys.includes(key));
  if (unknown.length > 0) {
    return answer(400, {
      error: `cdns names ${unknown.map((k) => JSON.stringify(k.length > 80 ? `${k.slice(0, 80)}...` : k)).join(", ")}, not a CDN target of this environment; allowed: ${keys.join(", ")}`,
      field: "cdns",
      allowed: keys,
    });
  }
  const jobId = deps.newJobId();
  const now = (deps.now ?? Date.now)();
  const fanned = fanOutPurge({
    type: request.type,
    action: request.action,
    network: request.network,
    objects: request.objects,
    targets,
    ...(request.cdns !== undefined ? { only: request.cdns } : {}),
    jobId,
    ...(deps.cdnEnv !== undefined ? { env: deps.cdnEnv } : {}),
  });
  const akamaiBatches = fanned.akamai?.plan.batches ?? [];
  const otherBatches = fanned.others.flatMap((target) => target.requests.map((planned) => ({ target, planned })));
  const listed = listRejected(fanned.rejected);
  const objects = (fanned.akamai?.accepted.length ?? 0) + fanned.others.reduce((sum, t) => sum + t.accepted, 0);
  const duplicates = (fanned.akamai?.duplicates ?? 0) + fanned.others.reduce((sum, t) => sum + t.duplicates, 0);
  const batchCount = akamaiBatches.length + otherBatches.length;
  if (batchCount === 0) {
    return answer(400, {
      error: `no valid objects: ${describeCount(fanned.rejected.length, "rejection")} across the CDN targets; see rejected for each reason`,
      field: "objects",
      ...listed,
    } satisfies RejectedAnswer);
  }
  const perTarget = [
    ...(fanned.akamai !== undefined
      ? [{ target: "akamai", cdn: "akamai" as const, batches: akamaiBatches.length, objects: fanned.akamai.accepted.length }]
      : []),
    ...fanned.others.map((t) => ({ target: t.key, cdn: t.cdn, batches: t.requests.length, objects: t.accepted })),
  ];
  const summary = { jobId, batches: batchCount, objects, ...listed, duplicates, cdns: perTarget } satisfies SubmitAnswer;

  let sendAtMs: number[] = [];
  if (fanned.akamai !== undefined) {
    try {
      sendAtMs = (await reservePacing(fanned.akamai.type, akamaiBatches, now, jobId, deps)).sendAtMs;
    } catch (error) {
      if (!(error instanceof ScheduleFullError)) throw error;
      const { jobId: _notRecorded, ...unrecorded } = summary;
      return answer(503, {
        error:
          `the account's Akamai ${fanned.akamai.type} purges are booked: this job's last Akamai batch could not go before ` +
          `${new Date(error.lastSendAtMs).toISOString()}, beyond the ${PURGE_MAX_PLAN_AHEAD_SECONDS / 3600} hours ahead the purge ` +
          `queue keeps messages for; nothing was recorded (on any CDN): send it again later`,
        ...unrecorded,
        retryAfterSeconds: Math.ceil((error.firstSendAtMs - now) / 1000),
      } satisfies NotRecordedAnswer);
    }
  }
  const messages: QueueMessage[] = [
    ...akamaiMessages(jobId, akamaiBatches, sendAtMs, now),
    ...otherBatches.map(({ target, planned }, i) => ({
      jobId,
      batchIndex: akamaiBatches.length + i,
      target: target.key,
      request: planned,
      notBefore: now,
    })),
  ];
  const notQueued = await enqueue(messages, now, deps);
  if (notQueued.length > 0) {
    const { jobId: _notRecorded, ...unrecorded } = summary;
    return answer(503, {
      error:
        `could not queue ${notQueued.length} of ${batchCount} batch(es), so the job was not recorded and ` +
        `nothing will be purged for it (on any CDN): send the request again`,
      ...unrecorded,
      notQueued,
    } satisfies NotRecordedAnswer);
  }
  await deps.jobs.createJob({
    jobId,
    type: request.type,
    action: request.action,
    network: request.network,
    requestedBy: submission.requestedBy,
    rejected: fanned.rejected.length,
    duplicates,
    targets: perTarget.map((t) => t.target),
    batches: [
      ...akamaiBatches.map((batch) => ({
        objects: batch.objects.length,
        bodyBytes: batch.bodyBytes,
        cdn: "akamai" as const,
        target: "akamai",
      })),
      ...otherBatches.map(({ target, planned }) => ({
        objects: planned.objects.length,
        bodyBytes: Buffer.byteLength(JSON.stringify(planned.items), "utf8"),
        cdn: target.cdn,
        target: target.key,
        ...(planned.substitution !== undefined ? { substitution: planned.substitution } : {}),
      })),
    ],
  });
  for (const { target, planned } of otherBatches) {
    if (planned.substitution === undefined) continue;
    // CloudFront without cache tags, tagFallback "purgeAll": the environment chose to invalidate everything instead.
    deps.logger.warn("tags will be purged as a purge of everything (the target's tagFallback is purgeAll)", {
      jobId,
      target: target.key,
      substitution: planned.substitution,
      tags: planned.objects.length,
    });
  }
  deps.logger.info("purge job queued and recorded", {
    jobId,
    type: request.type,
    action: request.action,
    network: request.network,
    batches: batchCount,
    objects,
    rejected: fanned.rejected.length,
    duplicates,
    cdns: perTarget,
    requestedBy: submission.requestedBy,
  });
  const inline =
    request.wait === true ? { inline: "not sent inline: in an environment with several CDN targets every job is queued" } : {};
  return answer(202, { ...summary, status: "queued", ...inline } satisfies SubmitAnswer);
}

type InlineResult =
  | {
      kind: "answered";
      statusCode: number;
      body: Pick<SubmitAnswer, "status" | "purgeId" | "estimatedSeconds" | "supportId" | "error" | "failure">;
    }
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
async function reservePacing(
  type: PurgeType,
  batches: readonly PurgeBatch[],
  now: number,
  jobId: string,
  deps: PurgeApiDeps,
): Promise<SendPlan> {
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

/** Akamai's messages: one per batch, each with its planned send time. */
function akamaiMessages(
  jobId: string,
  batches: readonly PurgeBatch[],
  sendAtMs: readonly number[],
  now: number,
  firstIndex = 0,
): QueueMessage[] {
  return batches.map((batch, i) => ({
    jobId,
    batchIndex: firstIndex + i,
    type: batch.type,
    action: batch.action,
    network: batch.network,
    objects: batch.objects,
    notBefore: sendAtMs[i] ?? now,
  }));
}

/**
 * Sends the messages, each delayed towards its planned send time (up to SQS's 15 minutes; the worker hands an
 * early message back until its time). Returns the batch indexes not queued.
 */
async function enqueue(messages: readonly QueueMessage[], now: number, deps: PurgeApiDeps): Promise<number[]> {
  const sent = new Set<number>();
  let failed = false;
  const concurrency = Math.max(1, deps.enqueueConcurrency ?? 8);
  let next = 0;
  const worker = async (): Promise<void> => {
    // After one failure the job will not be recorded, so queueing more would only make work to drop.
    for (let i = next++; i < messages.length && !failed; i = next++) {
      const message = messages[i] as QueueMessage;
      try {
        await deps.queue.send(message, clampDelay(((message.notBefore ?? now) - now) / 1000));
        sent.add(message.batchIndex);
      } catch (error) {
        const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        deps.logger.error("could not queue a purge batch; the job is not recorded", {
          jobId: message.jobId,
          batchIndex: message.batchIndex,
          detail,
        });
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, messages.length) }, worker));
  return messages.map((m) => m.batchIndex).filter((i) => !sent.has(i));
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
    ...(job.targets !== undefined ? { cdns: targetViews(job.targets, batches) } : {}),
  };
}

/** The job per CDN target: counts by state and the ids of the done batches. */
function targetViews(targets: readonly string[], batches: readonly BatchRecord[]): TargetView[] {
  return targets.map((target) => {
    const own = batches.filter((b) => (b.target ?? "akamai") === target);
    const view: TargetView = {
      target,
      cdn: own[0]?.cdn ?? (target.includes(":") ? (target.split(":")[0] as TargetView["cdn"]) : "akamai"),
      batches: own.length,
      done: 0,
      failed: 0,
      pending: 0,
      objects: 0,
      objectsDone: 0,
      objectsFailed: 0,
      ids: [],
      reasons: [],
    };
    for (const batch of own) {
      view.objects += batch.objects;
      if (batch.status === "done") {
        view.done++;
        view.objectsDone += batch.objects;
        const id = batch.cdnId ?? batch.purgeId;
        if (typeof id === "string") view.ids.push(id);
      } else if (batch.status === "failed") {
        view.failed++;
        view.objectsFailed += batch.objects;
        const reason = batch.error !== undefined ? failureReasonCode(batch.error.reason) : "jobFailed";
        if (!view.reasons.includes(reason)) view.reasons.push(reason);
      } else {
        view.pending++;
      }
    }
    return view;
  });
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
  if (batch.cdn !== undefined) view.cdn = batch.cdn;
  if (batch.target !== undefined) view.target = batch.target;
  if (batch.cdnId !== undefined && batch.status === "done") view.cdnId = batch.cdnId;
  if (batch.substitution !== undefined) view.substitution = batch.substitution;
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

function badRequestFromIssues(
  json: unknown,
  issues: readonly z.core.$ZodIssue[],
  policy: PurgePolicy,
  multiCdn: boolean,
): ApiAnswer {
  // `cdns` is named where there are CDN targets to choose from (an Akamai-only environment still takes ["akamai"]).
  const fields = multiCdn ? REQUEST_FIELDS : REQUEST_FIELDS.filter((field) => field !== "cdns");
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
        message: `unknown field${issue.keys.length > 1 ? "s" : ""} ${keys.join(", ")}; allowed: ${fields.join(", ")}`,
      });
      continue;
    }
    const field = String(issue.path[0] ?? "(body)");
    if (errors.some((e) => e.field === field)) continue;
    const missing = !Object.hasOwn(given, field);
    const got = missing ? "" : `; got ${describe(given[field])}`;
    switch (field) {
      case "type":
        errors.push({
          field,
          message: `type ${missing ? "is required" : "is not valid"}: use one of ${(multiCdn ? PURGE_API_TYPES : PURGE_TYPES).join(", ")}${got}`,
        });
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
        errors.push({
          field,
          message: `action must be one of ${PURGE_ACTIONS.join(", ")} (default ${policy.defaultAction})${got}`,
        });
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
      case "cdns":
        errors.push({
          field,
          message: `cdns must be a non-empty array of CDN target names like "akamai" or "fastly:SERVICEID"${got}`,
        });
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

function listRejected(rejected: ReadonlyArray<RejectedObject & { code?: string; target?: string }>): {
  rejected: RejectedEntry[];
  rejectedNotListed?: number;
} {
  const listed: RejectedEntry[] = [];
  let budget = REJECTED_LIST_BUDGET_BYTES;
  for (const entry of rejected) {
    const shown: RejectedEntry = { index: entry.index, object: echo(entry.object), reason: entry.reason };
    if (entry.target !== undefined) shown.target = entry.target;
    if (entry.code !== undefined) shown.code = entry.code;
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
