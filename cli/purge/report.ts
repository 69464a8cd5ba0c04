/**
 * What `edgeplane purge` prints. With --json, stdout holds exactly one JSON document:
 *
 *   {"batches":  [{"purgeId": string, "estimatedSeconds": number | null, "objects": number}],
 *    "rejected": [{"object": string | number, "reason": string}],
 *    "failed":   [{"objects": number | null, "reason": string, "detail": string,
 *                  "status"?: number, "supportId"?: string, "jobId"?: string, "batch"?: number}]}
 *
 * `objects` is the NUMBER of objects in that batch (a list of 10,000 URLs per batch would make the output
 * unreadable; the objects are the ones given, each in exactly one batch). Each accepted batch is one Fast
 * Purge request. `failed` lists batches (or, via the purge API, jobs) that did not succeed; `reason` is one of
 * the codes in core/purge/failure-reasons.ts (e.g. rejected, retriesExhausted, throttledTooOften,
 * credentialRejected, notQueued, timedOut), the same whichever path produced it.
 *
 * A dry run prints {"dryRun": true, "path", "batches": [{"objects", "bytes"}], "rejected", "failed": []}.
 *
 * Progress and diagnostics go to stderr, so stdout stays parseable.
 */
import type { FailureReasonCode } from "../../core/purge/failure-reasons";
import type { PurgeAction, PurgeNetwork, PurgeType } from "../../core/purge/objects";

export interface ReportBatch {
  purgeId: string;
  estimatedSeconds: number | null;
  objects: number;
}

export interface ReportRejection {
  object: unknown;
  reason: string;
}

export interface ReportFailure {
  objects: number | null;
  /** A FAILURE_REASONS code; a code this CLI does not know yet (from a newer purge API) is passed on as it is. */
  reason: FailureReasonCode | (string & {});
  detail: string;
  status?: number;
  supportId?: string;
  jobId?: string;
  batch?: number;
}

export interface PurgeReport {
  batches: ReportBatch[];
  rejected: ReportRejection[];
  failed: ReportFailure[];
}

/** Facts for the human summary that the JSON leaves out. */
export interface ReportContext {
  type: PurgeType;
  action: PurgeAction;
  network: PurgeNetwork;
  /** Valid objects given more than once, sent once. */
  duplicates: number;
  /** Rejected objects were not sent because --skip-invalid was not given. */
  heldBack: boolean;
  /** Set on the direct path. */
  requests?: number;
  throttled429?: number;
  /** Set on the purge API path. */
  jobIds?: string[];
  /** URL purges sent directly: the hosts of the URLs Akamai accepted, in first-seen order. */
  hosts?: string[];
}

export function reportJson(report: PurgeReport): string {
  const ordered = {
    batches: report.batches.map((b) => ({ purgeId: b.purgeId, estimatedSeconds: b.estimatedSeconds, objects: b.objects })),
    rejected: report.rejected.map((r) => ({ object: r.object, reason: r.reason })),
    failed: report.failed,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

export function exitCodeOf(report: PurgeReport): number {
  return report.rejected.length > 0 || report.failed.length > 0 ? 1 : 0;
}

const number = (n: number): string => n.toLocaleString("en-US");

export function showObject(object: unknown): string {
  const text = typeof object === "string" ? JSON.stringify(object) : String(object);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** Lines naming every rejected object and why (stderr). */
export function rejectedLines(rejected: readonly ReportRejection[], origins?: readonly string[], indexes?: readonly number[]): string {
  return rejected
    .map((r, i) => {
      const origin = origins && indexes ? origins[indexes[i] as number] : undefined;
      return `  rejected ${showObject(r.object)}${origin ? ` (${origin})` : ""}: ${r.reason}\n`;
    })
    .join("");
}

export function summaryText(report: PurgeReport, context: ReportContext): string {
  const lines: string[] = [];
  const purged = report.batches.reduce((sum, b) => sum + b.objects, 0);
  const what = `${context.action} ${context.type} on ${context.network}`;
  if (context.heldBack) {
    lines.push(
      `purge ${what}: nothing was sent: ${number(report.rejected.length)} object(s) rejected (listed on stderr); ` +
        "fix them, or pass --skip-invalid to send the valid ones",
    );
    return `${lines.join("\n")}\n`;
  }
  lines.push(`purge ${what}: ${number(purged)} object(s) accepted by Akamai in ${number(report.batches.length)} request(s)`);
  if (context.jobIds && context.jobIds.length > 0) lines.push(`  job(s): ${context.jobIds.join(", ")}`);
  if (context.hosts && context.hosts.length > 0) lines.push(`  host(s) purged: ${context.hosts.join(", ")}`);
  for (const batch of report.batches) {
    const eta = batch.estimatedSeconds === null ? "" : `, about ${batch.estimatedSeconds}s to complete`;
    lines.push(`  purgeId ${batch.purgeId}: ${number(batch.objects)} object(s)${eta}`);
  }
  if (context.duplicates > 0) lines.push(`  ${number(context.duplicates)} duplicate object(s) sent once`);
  if (context.requests !== undefined) {
    lines.push(`  ${number(context.requests)} HTTP request(s), ${number(context.throttled429 ?? 0)} throttled (429) and retried`);
  }
  if (report.rejected.length > 0) {
    lines.push(`  ${number(report.rejected.length)} object(s) rejected (listed on stderr)`);
  }
  for (const failure of report.failed) {
    const where = [
      failure.jobId ? `job ${failure.jobId}` : undefined,
      failure.batch !== undefined ? `batch ${failure.batch}` : undefined,
      failure.objects !== null ? `${number(failure.objects)} object(s)` : undefined,
    ]
      .filter((s) => s !== undefined)
      .join(", ");
    const extra = [failure.status !== undefined ? `HTTP ${failure.status}` : undefined, failure.supportId ? `supportId ${failure.supportId}` : undefined]
      .filter((s) => s !== undefined)
      .join(", ");
    lines.push(`  FAILED ${where}: ${failure.reason}: ${failure.detail}${extra ? ` (${extra})` : ""}`);
  }
  lines.push(exitCodeOf(report) === 0 ? "ok" : `not everything was purged: ${number(report.rejected.length)} rejected, ${number(report.failed.length)} failed`);
  return `${lines.join("\n")}\n`;
}
