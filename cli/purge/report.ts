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
 * In an environment served by several CDNs (purge API jobs fanned out per CDN target), each batch also carries
 * `cdn` and `target` (e.g. "fastly:SERVICEID"), and `purgeId` is that CDN's id, as with `--cdn` (cli/purge/cdn.ts):
 * Akamai's purgeId, Fastly's purge id, Cloudflare's result id or CloudFront's invalidation id (null when the CDN gave
 * none); each failure names its `cdn` and `target`. Akamai-only output is unchanged.
 *
 * A dry run prints {"dryRun": true, "path", "batches": [{"objects", "bytes"}], "rejected", "failed": []}.
 *
 * Progress and diagnostics go to stderr, so stdout stays parseable.
 */
import type { CdnName } from "../../core/cdn/types";
import type { FailureReasonCode } from "../../core/purge/failure-reasons";
import type { PurgeApiType } from "../../core/jobs/purge-api-contract";
import type { PurgeAction, PurgeNetwork } from "../../core/purge/objects";

export interface ReportBatch {
  /** Akamai's purgeId (for another CDN's batch, the same as `id`). */
  purgeId: string;
  estimatedSeconds: number | null;
  objects: number;
  /** Set when the job went to several CDNs: the batch's CDN, target and the CDN's id for it. */
  cdn?: CdnName;
  target?: string;
  id?: string | null;
  /** The batch purged more than asked for (CloudFront "/*" instead of tags, the environment's tagFallback). */
  substitution?: string;
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
  cdn?: CdnName;
  target?: string;
}

export interface PurgeReport {
  batches: ReportBatch[];
  rejected: ReportRejection[];
  failed: ReportFailure[];
}

/** Facts for the human summary that the JSON leaves out. */
export interface ReportContext {
  type: PurgeApiType;
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
    batches: report.batches.map((b) =>
      b.cdn === undefined
        ? { purgeId: b.purgeId, estimatedSeconds: b.estimatedSeconds, objects: b.objects }
        : {
            cdn: b.cdn,
            target: b.target,
            purgeId: b.id ?? null,
            estimatedSeconds: b.estimatedSeconds,
            objects: b.objects,
            ...(b.substitution !== undefined ? { substitution: b.substitution } : {}),
          },
    ),
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
export function rejectedLines(
  rejected: readonly ReportRejection[],
  origins?: readonly string[],
  indexes?: readonly number[],
): string {
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
  const multiCdn = report.batches.some((b) => b.cdn !== undefined) || report.failed.some((f) => f.cdn !== undefined);
  if (multiCdn) {
    lines.push(
      `purge ${what}: ${number(purged)} object purge(s) accepted in ${number(report.batches.length)} request(s) across CDNs`,
    );
  } else {
    lines.push(`purge ${what}: ${number(purged)} object(s) accepted by Akamai in ${number(report.batches.length)} request(s)`);
  }
  if (context.jobIds && context.jobIds.length > 0) lines.push(`  job(s): ${context.jobIds.join(", ")}`);
  if (context.hosts && context.hosts.length > 0) lines.push(`  host(s) purged: ${context.hosts.join(", ")}`);
  if (multiCdn) lines.push(...perCdnLines(report));
  for (const batch of report.batches) {
    if (batch.cdn !== undefined && batch.cdn !== "akamai") continue;
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
      failure.target ?? failure.cdn,
      failure.jobId ? `job ${failure.jobId}` : undefined,
      failure.batch !== undefined ? `batch ${failure.batch}` : undefined,
      failure.objects !== null ? `${number(failure.objects)} object(s)` : undefined,
    ]
      .filter((s) => s !== undefined)
      .join(", ");
    const extra = [
      failure.status !== undefined ? `HTTP ${failure.status}` : undefined,
      failure.supportId ? `supportId ${failure.supportId}` : undefined,
    ]
      .filter((s) => s !== undefined)
      .join(", ");
    lines.push(`  FAILED ${where}: ${failure.reason}: ${failure.detail}${extra ? ` (${extra})` : ""}`);
  }
  lines.push(
    exitCodeOf(report) === 0
      ? "ok"
      : `not everything was purged: ${number(report.rejected.length)} rejected, ${number(report.failed.length)} failed`,
  );
  return `${lines.join("\n")}\n`;
}

/** One line per CDN target: objects and requests done and failed, and the first ids. */
function perCdnLines(report: PurgeReport): string[] {
  const targets = new Map<
    string,
    { done: number; objects: number; failed: number; failedObjects: number; ids: string[]; substituted: boolean }
  >();
  const entry = (target: string) => {
    let found = targets.get(target);
    if (found === undefined) {
      found = { done: 0, objects: 0, failed: 0, failedObjects: 0, ids: [], substituted: false };
      targets.set(target, found);
    }
    return found;
  };
  for (const batch of report.batches) {
    const t = entry(batch.target ?? batch.cdn ?? "akamai");
    t.done++;
    t.objects += batch.objects;
    if (typeof batch.id === "string") t.ids.push(batch.id);
    if (batch.substitution !== undefined) t.substituted = true;
  }
  for (const failure of report.failed) {
    if (failure.target === undefined && failure.cdn === undefined) continue;
    const t = entry(failure.target ?? failure.cdn ?? "akamai");
    t.failed++;
    t.failedObjects += failure.objects ?? 0;
  }
  const shown = 3;
  return [...targets].map(([target, t]) => {
    const ids =
      t.ids.length === 0
        ? ""
        : `; id(s) ${t.ids.slice(0, shown).join(", ")}${t.ids.length > shown ? ` and ${number(t.ids.length - shown)} more` : ""}`;
    const failed = t.failed > 0 ? `; ${number(t.failed)} request(s) FAILED (${number(t.failedObjects)} object(s))` : "";
    const substituted = t.substituted ? "; tags purged as a purge of everything (the environment's tagFallback)" : "";
    return `  ${target}: ${number(t.objects)} object(s) in ${number(t.done)} request(s)${ids}${failed}${substituted}`;
  });
}
