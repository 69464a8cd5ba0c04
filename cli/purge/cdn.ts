/**
 * `edgeplane purge --cdn fastly|cloudflare|cloudfront`: direct purges with the CDN's own credential (no AWS side for
 * Fastly and Cloudflare; CloudFront is an AWS API). The CDN provider of core/cdn validates and plans (each object in
 * exactly one request, no request over the CDN's limits), and runCdnRequests sends with the CDN's pacing, parallelism
 * and retry rules: the same pieces the environment's worker uses.
 *
 * --json prints the Akamai shape, each batch and failure with its `cdn`:
 *   {"batches":  [{"cdn", "purgeId": string | null, "estimatedSeconds": null, "objects": number, "type"}],
 *    "rejected": [{"object", "reason", "detail"}],
 *    "failed":   [{"cdn", "objects", "reason", "detail", "status"?, "batch"}]}
 * `purgeId` is the CDN's id for the request: the Fastly purge id (for a bulk key purge, the first key's), the
 * Cloudflare result id, the CloudFront invalidation id; null when the CDN gave none (CloudFront answering a replayed
 * CallerReference). `reason` (rejected and failed) is one of REASON_CODES in core/cdn/types.ts.
 */
import { randomUUID } from "node:crypto";
import { createCloudflareProvider } from "../../core/cdn/cloudflare";
import { createCloudFrontProvider } from "../../core/cdn/cloudfront";
import { fetchTransport } from "../../core/cdn/fetch-transport";
import { createFastlyProvider } from "../../core/cdn/fastly";
import { isHostname } from "../../core/cdn/objects";
import { type CdnRequestOutcome, type CdnRunResult, runCdnRequests } from "../../core/cdn/runner";
import type {
  CdnName,
  CdnObjectInput,
  CdnProvider,
  CdnRejection,
  CdnTransport,
  CdnValidation,
  PlannedRequest,
  ReasonCode,
} from "../../core/cdn/types";
import { cdnConfigProblem, cdnToken, cloudFrontClients } from "../cdn-credentials";
import type { CommandIo } from "../io";
import type { PurgeArgs } from "./args";
import { readObjects } from "./input";
import { ProgressPrinter } from "./progress";
import { rejectedLines } from "./report";

export type DirectCdn = Exclude<CdnName, "akamai">;

export interface CdnReportBatch {
  cdn: DirectCdn;
  purgeId: string | null;
  estimatedSeconds: null;
  objects: number;
  type: PlannedRequest["type"];
  /** The request purged more than asked for (CloudFront "/*" instead of tags). */
  substitution?: string;
}

export interface CdnReportRejection {
  object: unknown;
  reason: ReasonCode;
  detail: string;
}

export interface CdnReportFailure {
  cdn: DirectCdn;
  objects: number;
  reason: ReasonCode;
  detail: string;
  status?: number;
  batch: number;
}

export interface CdnPurgeReport {
  batches: CdnReportBatch[];
  rejected: CdnReportRejection[];
  failed: CdnReportFailure[];
}

/** Hosts URLs (and Cloudflare hosts and prefixes) may use: the allow-list, or "any" (given hosts are taken as served). */
export type HostPolicy = { kind: "list"; hosts: readonly string[]; source: string } | { kind: "any" };

const URL_AUTHORITY = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/;

/** The lower-cased hostname an object names, if any (invalid ones are left for the provider to reject). */
export function hostOfObject(type: string, value: string): string | undefined {
  let host: string | undefined;
  if (type === "url") {
    const authority = URL_AUTHORITY.exec(value)?.[1];
    if (authority !== undefined && !authority.includes("@")) host = authority.split(":")[0];
  } else if (type === "host") host = value;
  else if (type === "prefix") host = value.split("/")[0];
  const lower = host?.toLowerCase();
  return lower !== undefined && isHostname(lower) ? lower : undefined;
}

/** The hostnames to configure the provider with: the allow-list, or every host the objects name. */
export function servedHostnames(policy: HostPolicy, objects: readonly CdnObjectInput[]): string[] {
  if (policy.kind === "list") return [...policy.hosts];
  const hosts = new Set<string>();
  for (const object of objects) {
    const host = typeof object.value === "string" ? hostOfObject(object.type, object.value) : undefined;
    if (host !== undefined) hosts.add(host);
  }
  return [...hosts];
}

const TARGET_LABEL: Record<DirectCdn, string> = { fastly: "service", cloudflare: "zone", cloudfront: "distribution" };

export function cdnTargetId(args: PurgeArgs, cdn: DirectCdn): string {
  return (cdn === "fastly" ? args.serviceId : cdn === "cloudflare" ? args.zoneId : args.distributionId) ?? "";
}

/** The provider for the command line; a bad id is a usage error naming its flag. */
export function createDirectProvider(
  args: PurgeArgs,
  cdn: DirectCdn,
  hostnames: readonly string[],
  env: Record<string, string | undefined>,
): CdnProvider {
  const flags = { serviceId: "--service-id", zoneId: "--zone-id", distributionId: "--distribution-id", plan: "--plan" };
  try {
    if (cdn === "fastly") {
      return createFastlyProvider({
        serviceId: args.serviceId ?? "",
        token: cdnToken("fastly", env),
        hostnames,
        softPurge: args.soft,
        allowPurgeAll: args.allowPurgeAll,
        env,
      });
    }
    if (cdn === "cloudflare") {
      return createCloudflareProvider({
        zoneId: args.zoneId ?? "",
        token: cdnToken("cloudflare", env),
        plan: args.plan,
        hostnames,
        ...(args.maxPerRequest === undefined ? {} : { maxItemsPerRequest: { [args.cdnType]: args.maxPerRequest } }),
        allowPurgeAll: args.allowPurgeAll,
        env,
      });
    }
    return createCloudFrontProvider({
      distributionId: args.distributionId ?? "",
      hostnames,
      cacheTags: args.cacheTags,
      allowPurgeAll: args.allowPurgeAll,
    });
  } catch (error) {
    throw cdnConfigProblem(error, flags);
  }
}

/** The rejection as reported: a host outside the allow-list names the list and where it came from. */
function reportRejection(rejection: CdnRejection, policy: HostPolicy): CdnReportRejection {
  let detail = rejection.detail;
  if (rejection.reason === "hostNotServed" && policy.kind === "list") {
    const host = typeof rejection.object === "string" ? hostOfObject(String(rejection.type), rejection.object) : undefined;
    detail = `host ${JSON.stringify(host ?? "")} is not allowed; allowed (${policy.source}): ${policy.hosts.join(", ")}`;
  }
  return { object: rejection.object, reason: rejection.reason, detail };
}

export function cdnReport(cdn: DirectCdn, rejected: CdnReportRejection[], result: CdnRunResult | undefined): CdnPurgeReport {
  const report: CdnPurgeReport = { batches: [], rejected, failed: [] };
  for (const outcome of result?.outcomes ?? []) {
    if (outcome.status === "done") {
      report.batches.push({
        cdn,
        purgeId: outcome.cdnId,
        estimatedSeconds: null,
        objects: outcome.objects.length,
        type: outcome.type,
        ...(outcome.substitution === undefined ? {} : { substitution: outcome.substitution }),
      });
    } else {
      report.failed.push({
        cdn,
        objects: outcome.objects.length,
        reason: outcome.reason,
        detail: outcome.detail,
        ...(outcome.httpStatus === undefined ? {} : { status: outcome.httpStatus }),
        batch: outcome.index,
      });
    }
  }
  return report;
}

/** One line per planned request for --dry-run: what would be sent where (never a header). */
function describeRequest(provider: CdnProvider, request: PlannedRequest): string {
  const wire = provider.buildRequest(request);
  if (wire.kind === "http") return `${wire.method} ${wire.url}`;
  return `${wire.operation} on distribution ${wire.input.DistributionId}`;
}

const number = (n: number): string => n.toLocaleString("en-US");

export async function runCdnPurge(args: PurgeArgs, cdn: DirectCdn, io: CommandIo, hostPolicy: HostPolicy): Promise<number> {
  const account = cdn === "cloudflare" && args.accountId !== undefined ? ` (account ${args.accountId})` : "";
  const target = `${cdn} ${TARGET_LABEL[cdn]} ${cdnTargetId(args, cdn)}${account}`;
  // The token is settled first: a dry run names what it would use, and fails the same way a purge would.
  if (cdn !== "cloudfront") cdnToken(cdn, io.env);

  let inputs: CdnObjectInput[];
  let origins: string[];
  if (args.cdnType === "all") {
    inputs = [{ type: "all", value: "all" }];
    origins = ["--type all"];
  } else {
    const source = await readObjects(args, io.stdin, io.stdinIsTty);
    inputs = source.objects.map((value) => ({ type: args.cdnType, value }));
    origins = source.origins;
  }
  const provider = createDirectProvider(args, cdn, servedHostnames(hostPolicy, inputs), io.env);
  if (cdn === "cloudfront" && hostPolicy.kind === "any" && args.cdnType === "url") {
    io.stderr(
      `edgeplane purge: no --allow-host (or EDGEPLANE_ALLOW_HOSTS): URLs of any host become paths on distribution ${args.distributionId} ` +
        "(the host is dropped); give the distribution's hostnames with --allow-host to check them\n",
    );
  }
  const validation: CdnValidation = provider.validate(inputs);
  const rejected = validation.rejected.map((r) => reportRejection(r, hostPolicy));
  if (rejected.length > 0) {
    io.stderr(`edgeplane purge: ${rejected.length} of ${inputs.length} object(s) rejected by the ${cdn} rules:\n`);
    io.stderr(
      rejectedLines(
        rejected.map((r) => ({ object: r.object, reason: `${r.reason}: ${r.detail}` })),
        origins,
        validation.rejected.map((r) => r.index),
      ),
    );
  }
  // CloudFront's CallerReference: fixed per batch of this run, so the runner's retries never make a second invalidation.
  const requests = provider.plan(validation.accepted, { jobId: `cli-${randomUUID()}` });
  if (args.dryRun) return printCdnDryRun(args, io, provider, requests, validation, rejected, target);

  const heldBack = rejected.length > 0 && !args.skipInvalid;
  const what = args.soft ? `${args.cdnType} (soft)` : args.cdnType;
  if (heldBack || requests.length === 0) {
    return finishCdn(args, io, cdnReport(cdn, rejected, undefined), {
      target,
      type: what,
      duplicates: validation.duplicates,
      heldBack,
      hostPolicy,
    });
  }

  let transport: CdnTransport;
  let close = (): void => undefined;
  if (cdn === "cloudfront") {
    const clients = await cloudFrontClients(io.env);
    transport = clients.transport;
    close = clients.close;
  } else {
    transport = fetchTransport();
  }
  const progress = new ProgressPrinter(io, args.quiet);
  const settled = { requests: 0, objects: 0, failed: 0 };
  let result: CdnRunResult;
  try {
    result = await runCdnRequests(provider, requests, {
      transport,
      clock: { now: io.now, sleep: io.sleep },
      onOutcome: (outcome: CdnRequestOutcome) => {
        settled.requests++;
        if (outcome.status === "done") settled.objects += outcome.objects.length;
        else settled.failed += outcome.objects.length;
        progress.update(
          `${cdn}: ${settled.requests}/${requests.length} requests settled, ${number(settled.objects)} object(s) purged, ${number(
            settled.failed,
          )} failed`,
        );
      },
    });
  } finally {
    close();
  }
  progress.done();
  const purgedHosts = new Set<string>();
  for (const outcome of result.outcomes) {
    if (outcome.status !== "done") continue;
    for (const object of outcome.objects) {
      const host = typeof object.value === "string" ? hostOfObject(object.type, object.value) : undefined;
      if (host !== undefined) purgedHosts.add(host);
    }
  }
  return finishCdn(args, io, cdnReport(cdn, rejected, result), {
    target,
    type: what,
    duplicates: validation.duplicates,
    heldBack: false,
    hostPolicy,
    requestsSent: result.requestsSent,
    throttled: result.throttled,
    hosts: [...purgedHosts],
  });
}

function printCdnDryRun(
  args: PurgeArgs,
  io: CommandIo,
  provider: CdnProvider,
  requests: PlannedRequest[],
  validation: CdnValidation,
  rejected: CdnReportRejection[],
  target: string,
): number {
  const minimum = provider.minimumRequests(validation.accepted);
  if (args.json) {
    const planned = requests.map((r) => ({
      type: r.type,
      objects: r.objects.length,
      items: r.items.length,
      request: describeRequest(provider, r),
      ...(r.substitution === undefined ? {} : { substitution: r.substitution }),
    }));
    io.stdout(
      `${JSON.stringify(
        { dryRun: true, cdn: provider.cdn, target, minimumRequests: minimum, batches: planned, rejected, failed: [] },
        null,
        2,
      )}\n`,
    );
  } else {
    const objects = requests.reduce((n, r) => n + r.objects.length, 0);
    const lines = [
      `dry run (${target}): nothing was sent`,
      `${args.cdnType} purge: ${number(objects)} object(s) in ${number(requests.length)} request(s) (the fewest ${
        provider.cdn
      }'s limits allow: ${number(minimum)})`,
      ...requests.map(
        (r, i) => `  request ${i + 1}: ${number(r.items.length)} ${r.type} item(s): ${describeRequest(provider, r)}`,
      ),
    ];
    if (validation.duplicates > 0) lines.push(`  ${validation.duplicates} duplicate object(s) would be sent once`);
    if (rejected.length > 0) lines.push(`  ${rejected.length} object(s) rejected (listed on stderr)`);
    io.stdout(`${lines.join("\n")}\n`);
  }
  return rejected.length > 0 ? 1 : 0;
}

interface CdnReportContext {
  target: string;
  type: string;
  duplicates: number;
  heldBack: boolean;
  hostPolicy: HostPolicy;
  requestsSent?: number;
  throttled?: number;
  hosts?: string[];
}

/** Batches listed one by one in the human summary before "... and N more". */
const SUMMARY_BATCHES = 10;

export function cdnSummaryText(report: CdnPurgeReport, context: CdnReportContext): string {
  const lines: string[] = [];
  if (context.heldBack) {
    lines.push(
      `purge ${context.type} on ${context.target}: nothing was sent: ${number(
        report.rejected.length,
      )} object(s) rejected (listed on stderr); ` + "fix them, or pass --skip-invalid to send the valid ones",
    );
    return `${lines.join("\n")}\n`;
  }
  const purged = report.batches.reduce((sum, b) => sum + b.objects, 0);
  lines.push(
    `purge ${context.type} on ${context.target}: ${number(purged)} object(s) purged in ${number(
      report.batches.length,
    )} request(s)`,
  );
  if (context.hosts && context.hosts.length > 0) lines.push(`  host(s) purged: ${context.hosts.join(", ")}`);
  for (const batch of report.batches.slice(0, SUMMARY_BATCHES)) {
    lines.push(
      `  ${batch.purgeId === null ? "(no id given)" : `id ${batch.purgeId}`}: ${number(batch.objects)} ${batch.type} object(s)${
        batch.substitution ? ` (${batch.substitution})` : ""
      }`,
    );
  }
  if (report.batches.length > SUMMARY_BATCHES)
    lines.push(`  ... and ${number(report.batches.length - SUMMARY_BATCHES)} more (--json lists every id)`);
  if (context.duplicates > 0) lines.push(`  ${number(context.duplicates)} duplicate object(s) sent once`);
  if (context.requestsSent !== undefined) {
    lines.push(
      `  ${number(context.requestsSent)} HTTP request(s), ${number(context.throttled ?? 0)} throttled or busy and retried`,
    );
  }
  if (report.rejected.length > 0) lines.push(`  ${number(report.rejected.length)} object(s) rejected (listed on stderr)`);
  for (const failure of report.failed) {
    lines.push(
      `  FAILED batch ${failure.batch}, ${number(failure.objects)} object(s): ${failure.reason}: ${failure.detail}${
        failure.status !== undefined ? ` (HTTP ${failure.status})` : ""
      }`,
    );
  }
  const ok = report.rejected.length === 0 && report.failed.length === 0;
  lines.push(
    ok ? "ok" : `not everything was purged: ${number(report.rejected.length)} rejected, ${number(report.failed.length)} failed`,
  );
  return `${lines.join("\n")}\n`;
}

function finishCdn(args: PurgeArgs, io: CommandIo, report: CdnPurgeReport, context: CdnReportContext): number {
  io.stdout(args.json ? `${JSON.stringify(report, null, 2)}\n` : cdnSummaryText(report, context));
  return report.rejected.length > 0 || report.failed.length > 0 ? 1 : 0;
}
