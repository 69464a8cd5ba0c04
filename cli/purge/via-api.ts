/**
 * Purges through an environment's purge API (`edgeplane purge --env E`): POST /purge, then GET
 * /purge/{jobId} until every job is done or failed (or the timeout passes), with progress.
 *
 * Objects are validated locally first with the environment's policy (the API validates again and has the
 * last word). Lists bigger than the policy's maxObjectsPerRequest / maxRequestBytes go as several jobs.
 */
import type { PurgePolicyConfig } from "../../config/schema";
import {
  type JobView,
  type PurgeApiRequest,
  type PurgeApiType,
  jobViewSchema,
  notRecordedAnswerSchema,
  rejectedAnswerSchema,
  submitAnswerSchema,
} from "../../core/jobs/purge-api-contract";
import { TERMINAL_JOB_STATUSES } from "../../core/jobs/status";
import { failureReasonCode } from "../../core/purge/failure-reasons";
import type { PurgeAction, PurgeNetwork, PurgeObject } from "../../core/purge/objects";
import { ApiNetworkError, type ApiResponse, type PurgeApiClient, apiErrorText } from "./api-client";
import type { PurgeReport, ReportBatch, ReportFailure, ReportRejection } from "./report";

export { TERMINAL_JOB_STATUSES };
/**
 * POST is retried only on 429 (API Gateway throttling: not processed). Any other answer may come after
 * the job was recorded (e.g. a 5xx from API Gateway after purge-api answered), so it is never sent twice.
 */
const SUBMIT_RETRY_STATUSES = new Set([429]);
const SUBMIT_ATTEMPTS = 4;
/** A job whose status cannot be read this many times in a row is reported as failed (it goes on in AWS). */
const MAX_POLL_ERRORS_IN_A_ROW = 5;

export interface ApiPurgeRequest {
  type: PurgeApiType;
  action: PurgeAction;
  network: PurgeNetwork;
  objects: PurgeObject[];
  /** Only these CDN targets of the environment (targetKey); absent: every target serving the objects. */
  cdns?: string[];
}

export interface ApiPurgeOptions {
  client: PurgeApiClient;
  envName: string;
  policy: Pick<PurgePolicyConfig, "maxObjectsPerRequest" | "maxRequestBytes">;
  timeoutMs: number;
  pollIntervalMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  random?: () => number;
  /** Called with a one-line progress text after each poll round. */
  onProgress?: (progress: JobProgress) => void;
}

export interface JobProgress {
  jobs: number;
  batchesTotal: number;
  batchesDone: number;
  batchesFailed: number;
  objectsDone: number;
  elapsedMs: number;
}

interface TrackedJob {
  jobId: string;
  /** Batch count announced at submission (0 when following a job submitted earlier). */
  expectedBatches: number;
  view?: JobView;
  finished: boolean;
  pollErrors: number;
  gaveUp?: ReportFailure;
}

/** Splits objects into POST bodies within the policy's limits (count and JSON bytes). */
export function chunkRequests(
  request: ApiPurgeRequest,
  policy: ApiPurgeOptions["policy"],
): { chunks: PurgeObject[][]; tooBig: ReportRejection[] } {
  const base = Buffer.byteLength(JSON.stringify({ ...request, objects: [] }), "utf8");
  const chunks: PurgeObject[][] = [];
  const tooBig: ReportRejection[] = [];
  let current: PurgeObject[] = [];
  let bytes = base;
  for (const object of request.objects) {
    const cost = Buffer.byteLength(JSON.stringify(object), "utf8") + 1;
    if (base + cost - 1 > policy.maxRequestBytes) {
      tooBig.push({ object, reason: `object is too big for one purge API request (maxRequestBytes ${policy.maxRequestBytes})` });
      continue;
    }
    if (current.length > 0 && (current.length >= policy.maxObjectsPerRequest || bytes + cost > policy.maxRequestBytes)) {
      chunks.push(current);
      current = [];
      bytes = base;
    }
    current.push(object);
    bytes += current.length === 1 ? cost - 1 : cost;
  }
  if (current.length > 0) chunks.push(current);
  return { chunks, tooBig };
}

export async function purgeViaApi(
  request: ApiPurgeRequest,
  options: ApiPurgeOptions,
): Promise<{ report: PurgeReport; jobIds: string[] }> {
  const report: PurgeReport = { batches: [], rejected: [], failed: [] };
  const { chunks, tooBig } = chunkRequests(request, options.policy);
  report.rejected.push(...tooBig);
  const jobs: TrackedJob[] = [];
  for (const objects of chunks) {
    const body: PurgeApiRequest = { type: request.type, objects, action: request.action, network: request.network };
    if (request.cdns !== undefined) body.cdns = request.cdns;
    const outcome = await submit(body, options);
    if (outcome.kind === "failed") {
      report.failed.push({ objects: objects.length, ...outcome.failure });
      continue;
    }
    report.rejected.push(...outcome.rejected);
    if (outcome.job !== undefined) jobs.push({ ...outcome.job, pollErrors: 0 });
  }
  await follow(jobs, options);
  for (const job of jobs) collect(job, report, options);
  return { report, jobIds: jobs.map((j) => j.jobId) };
}

/** Follows jobs submitted earlier (`--job ID`). */
export async function followJobs(
  jobIds: readonly string[],
  options: ApiPurgeOptions,
): Promise<{ report: PurgeReport; jobIds: string[] }> {
  const report: PurgeReport = { batches: [], rejected: [], failed: [] };
  const jobs: TrackedJob[] = jobIds.map((jobId) => ({ jobId, expectedBatches: 0, finished: false, pollErrors: 0 }));
  await follow(jobs, options);
  for (const job of jobs) collect(job, report, options);
  return { report, jobIds: [...jobIds] };
}

type SubmitOutcome =
  | { kind: "accepted"; rejected: ReportRejection[]; job?: Omit<TrackedJob, "pollErrors"> }
  | { kind: "failed"; failure: Omit<ReportFailure, "objects"> };

async function submit(body: PurgeApiRequest, options: ApiPurgeOptions): Promise<SubmitOutcome> {
  const random = options.random ?? Math.random;
  let response: ApiResponse | undefined;
  for (let attempt = 1; attempt <= SUBMIT_ATTEMPTS; attempt++) {
    try {
      response = await options.client.submit(body);
    } catch (error) {
      if (error instanceof ApiNetworkError) {
        // Not retried: the API may have created the job. Purging twice is harmless but costs rate limit.
        return {
          kind: "failed",
          failure: {
            reason: "submitFailed",
            detail: `${error.message}; the job may or may not have been created (check the purge API's logs before sending again)`,
          },
        };
      }
      throw error;
    }
    if (!SUBMIT_RETRY_STATUSES.has(response.status) || attempt === SUBMIT_ATTEMPTS) break;
    await options.sleep(Math.min(8_000, 500 * 2 ** (attempt - 1)) * (0.5 + random()));
  }
  const answer = response as ApiResponse;
  const submitted = submitAnswerSchema.safeParse(answer.body);
  if (submitted.success) {
    // A recorded job (202; 201/422/502 inline): follow it, the job's batches say what happened.
    const rejected = submitted.data.rejected.map((r) => ({ object: r.object, reason: r.reason }));
    return {
      kind: "accepted",
      rejected,
      job: { jobId: submitted.data.jobId, expectedBatches: submitted.data.batches, finished: false },
    };
  }
  const notRecorded = answer.status === 503 ? notRecordedAnswerSchema.safeParse(answer.body) : undefined;
  if (notRecorded?.success) {
    // No job was recorded: nothing will be purged for these objects, and there is nothing to follow.
    const { error, retryAfterSeconds } = notRecorded.data;
    const later = retryAfterSeconds !== undefined ? ` (the service suggests again in ${retryAfterSeconds}s)` : "";
    return {
      kind: "failed",
      failure: { reason: "notQueued", status: 503, detail: `POST /purge answered 503: ${error}${later}` },
    };
  }
  const refused = answer.status === 400 ? rejectedAnswerSchema.safeParse(answer.body) : undefined;
  if (refused?.success && refused.data.rejected.length > 0) {
    // "no valid objects": every object is listed with its reason.
    return { kind: "accepted", rejected: refused.data.rejected.map((r) => ({ object: r.object, reason: r.reason })) };
  }
  return {
    kind: "failed",
    failure: {
      reason: answer.status >= 200 && answer.status < 300 ? "malformedResponse" : "refusedByApi",
      status: answer.status,
      detail: `POST /purge answered ${answer.status}${answer.status < 300 ? " without a jobId" : ""}: ${apiErrorText(answer.body)}${hintFor(answer.status)}`,
    },
  };
}

function hintFor(status: number): string {
  if (status === 403 || status === 401) {
    return " (API Gateway refused the AWS identity: it needs execute-api:Invoke on this environment's purge routes, e.g. the stack output ci_role_arn; check the region and that the URL is this environment's purge_api_url)";
  }
  if (status === 413) return " (the request is over the environment's purgePolicy.maxRequestBytes)";
  return "";
}

async function follow(jobs: TrackedJob[], options: ApiPurgeOptions): Promise<void> {
  const start = options.now();
  const deadline = start + options.timeoutMs;
  for (;;) {
    const open = jobs.filter((j) => !j.finished && j.gaveUp === undefined);
    if (open.length === 0) break;
    for (const job of open) await poll(job, options);
    options.onProgress?.(progressOf(jobs, options.now() - start));
    if (jobs.every((j) => j.finished || j.gaveUp !== undefined)) break;
    if (options.now() + options.pollIntervalMs > deadline) break;
    await options.sleep(options.pollIntervalMs);
  }
}

async function poll(job: TrackedJob, options: ApiPurgeOptions): Promise<void> {
  let response: ApiResponse;
  try {
    response = await options.client.job(job.jobId);
  } catch (error) {
    if (!(error instanceof ApiNetworkError)) throw error;
    pollError(job, error.message);
    return;
  }
  if (response.status === 200) {
    const parsed = jobViewSchema.safeParse(response.body);
    const view = parsed.success && parsed.data.jobId === job.jobId ? parsed.data : undefined;
    if (view === undefined) {
      pollError(job, `GET /purge/${job.jobId} answered 200 with a body that is not a job status`);
      return;
    }
    job.pollErrors = 0;
    job.view = view;
    job.finished = isTerminal(view.status);
    return;
  }
  const detail = `GET /purge/${job.jobId} answered ${response.status}: ${apiErrorText(response.body)}${hintFor(response.status)}`;
  if (response.status === 429 || response.status >= 500) {
    pollError(job, detail);
    return;
  }
  job.gaveUp = {
    objects: null,
    jobId: job.jobId,
    reason: response.status === 404 ? "jobNotFound" : "pollRefused",
    status: response.status,
    detail,
  };
}

function pollError(job: TrackedJob, detail: string): void {
  job.pollErrors++;
  if (job.pollErrors >= MAX_POLL_ERRORS_IN_A_ROW) {
    job.gaveUp = {
      objects: null,
      jobId: job.jobId,
      reason: "pollFailed",
      detail: `${detail} (${job.pollErrors} times in a row; the job goes on in the service)`,
    };
  }
}

function progressOf(jobs: readonly TrackedJob[], elapsedMs: number): JobProgress {
  const progress: JobProgress = {
    jobs: jobs.length,
    batchesTotal: 0,
    batchesDone: 0,
    batchesFailed: 0,
    objectsDone: 0,
    elapsedMs,
  };
  for (const job of jobs) {
    const batches = job.view?.batches ?? [];
    progress.batchesTotal += Math.max(job.expectedBatches, batches.length);
    for (const batch of batches) {
      if (batch.status === "done") {
        progress.batchesDone++;
        progress.objectsDone += batch.objects;
      } else if (batch.status === "failed") {
        progress.batchesFailed++;
      }
    }
  }
  return progress;
}

function collect(job: TrackedJob, report: PurgeReport, options: ApiPurgeOptions): void {
  const view = job.view;
  for (const batch of view?.batches ?? []) {
    const objects = batch.objects;
    if (batch.status === "done" && batch.cdn !== undefined && batch.cdn !== "akamai" && batch.cdnId !== undefined) {
      // Fastly, Cloudflare or CloudFront: the CDN's own id (purge id, result id, invalidation id).
      report.batches.push({
        cdn: batch.cdn,
        ...(batch.target !== undefined ? { target: batch.target } : {}),
        id: batch.cdnId,
        purgeId: batch.cdnId ?? "",
        estimatedSeconds: null,
        objects,
        ...(batch.substitution !== undefined ? { substitution: batch.substitution } : {}),
      });
    } else if (batch.status === "done" && batch.purgeId !== undefined) {
      const entry: ReportBatch = { purgeId: batch.purgeId, estimatedSeconds: batch.estimatedSeconds ?? null, objects };
      // In a multi-CDN environment's job every batch names its CDN, Akamai's too.
      if (batch.cdn !== undefined) Object.assign(entry, { cdn: batch.cdn, target: batch.target ?? "akamai", id: batch.purgeId });
      report.batches.push(entry);
    } else if (batch.status === "failed" || (job.finished && batch.status !== "done")) {
      const failure: ReportFailure = {
        objects,
        jobId: job.jobId,
        batch: batch.index,
        reason: batch.error !== undefined ? failureReasonCode(batch.error.reason) : "jobFailed",
        detail: batch.error?.detail ?? `batch ${batch.index} of job ${job.jobId} is ${batch.status}`,
      };
      if (batch.error?.status !== undefined) failure.status = batch.error.status;
      if (batch.error?.supportId !== undefined) failure.supportId = batch.error.supportId;
      if (batch.cdn !== undefined) failure.cdn = batch.cdn;
      if (batch.target !== undefined) failure.target = batch.target;
      report.failed.push(failure);
    } else if (batch.status === "done") {
      report.failed.push({
        objects,
        jobId: job.jobId,
        batch: batch.index,
        reason: "malformedResponse",
        detail: "batch is done but has no purgeId",
      });
    }
  }
  if (job.gaveUp !== undefined) {
    report.failed.push(job.gaveUp);
    return;
  }
  if (view === undefined) return;
  if (!job.finished) {
    const done = view.batches.filter((b) => b.status === "done").length;
    const total = Math.max(job.expectedBatches, view.batches.length);
    const pending = view.batches.filter((b) => b.status !== "done" && b.status !== "failed");
    const missing = Math.max(0, total - view.batches.length);
    const pendingObjects = missing > 0 ? null : pending.reduce((sum, b) => sum + b.objects, 0);
    report.failed.push({
      objects: pendingObjects,
      jobId: job.jobId,
      reason: "timedOut",
      detail:
        `job is still ${view.status} after ${Math.round(options.timeoutMs / 1000)}s (${done} of ${total} batches done); ` +
        `it goes on in the service: follow it with \`edgeplane purge --env ${options.envName} --job ${job.jobId}\``,
    });
    return;
  }
  const listed = view.batches.length;
  if (listed < job.expectedBatches) {
    report.failed.push({
      objects: null,
      jobId: job.jobId,
      reason: "malformedResponse",
      detail: `job is ${view.status} but lists ${listed} of ${job.expectedBatches} batches`,
    });
  } else if (view.status !== "done" && !view.batches.some((b) => b.status === "failed")) {
    report.failed.push({ objects: null, jobId: job.jobId, reason: "jobFailed", detail: `job ended ${view.status}` });
  }
}

function isTerminal(status: string): boolean {
  return (TERMINAL_JOB_STATUSES as readonly string[]).includes(status);
}
