/**
 * POST /purge in an environment served by several CDNs (EDGEPLANE_CDNS): which CDN targets each object goes to,
 * and each target's validated, planned batches. Pure: nothing is sent or read here.
 *
 * Routing, per object type:
 * - url: to every target whose hostnames serve the URL's host (Akamai included);
 * - tag: to every target (each judges its own: CloudFront without cache tags rejects them with tagsNotSupported,
 *   or with tagFallback "purgeAll" turns them into one "/*" invalidation, marked as a substitution);
 * - cpcode: Akamai only; host and prefix: Cloudflare only (by host); path: CloudFront only.
 * An object no target takes is rejected once, naming why (noCdnServes / invalidUrl); a target that refuses an
 * object it was given adds its own rejection, naming the target. Akamai's part is planned exactly as in an
 * Akamai-only environment (preparePurge), with the Akamai target's hostnames as the allow-list.
 */
import { createCloudflareProvider } from "../cdn/cloudflare";
import { createCloudFrontProvider } from "../cdn/cloudfront";
import { createFastlyProvider } from "../cdn/fastly";
import type { CdnName, CdnObjectType, CdnProvider, PlannedRequest } from "../cdn/types";
import { targetKey, type CdnRuntimeTarget } from "../../config/runtime-schema";
import {
  describe,
  isHostnameAllowed,
  parseAllowedHostnames,
  type PurgeAction,
  type PurgeNetwork,
  type PurgeType,
} from "../purge/objects";
import { preparePurge, type PreparedPurge } from "../purge/prepare";
import type { PurgeApiType } from "./purge-api-contract";

/**
 * Planning never builds a wire request, so it never needs a CDN token; the provider constructors insist on one.
 * This placeholder is not a credential and never leaves purge-api.
 */
const PLANNING_ONLY_TOKEN = "planning-only-no-token";

export interface FanOutInput {
  type: PurgeApiType;
  action: PurgeAction;
  network: PurgeNetwork;
  objects: readonly unknown[];
  targets: readonly CdnRuntimeTarget[];
  /** Only these targets (targetKey), already checked against `targets`. */
  only?: readonly string[];
  /** Makes CloudFront's CallerReference per batch. */
  jobId: string;
  /** Read by the providers for API endpoint overrides (tests); default process.env. */
  env?: Record<string, string | undefined>;
}

export interface FanOutRejection {
  /** Position in the request's objects. */
  index: number;
  object: unknown;
  /** What is wrong and what is allowed. */
  reason: string;
  /** A reason code (core/purge/failure-reasons.ts ALL_REASON_CODES); absent for Akamai's own validation. */
  code?: string;
  /** The target that refused the object; absent when no target takes it. */
  target?: string;
}

export interface TargetBatches {
  key: string;
  cdn: Exclude<CdnName, "akamai">;
  requests: PlannedRequest[];
  /** Objects accepted by this target (after its de-duplication). */
  accepted: number;
  duplicates: number;
}

export interface FanOut {
  /** Akamai's part, planned as today; absent when no object goes to Akamai. */
  akamai?: PreparedPurge;
  others: TargetBatches[];
  rejected: FanOutRejection[];
}

/** Which CDNs can take which types at all (the provider then judges each object). */
const TYPE_CDNS: Readonly<Record<PurgeApiType, readonly CdnName[]>> = {
  url: ["akamai", "fastly", "cloudflare", "cloudfront"],
  tag: ["akamai", "fastly", "cloudflare", "cloudfront"],
  cpcode: ["akamai"],
  host: ["cloudflare"],
  prefix: ["cloudflare"],
  path: ["cloudfront"],
};

const URL_HOST = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#@]*)/;

export function fanOutPurge(input: FanOutInput): FanOut {
  const candidates = input.targets.filter((target) => input.only === undefined || input.only.includes(targetKey(target)));
  const capable = candidates.filter((target) => TYPE_CDNS[input.type].includes(target.cdn));
  const served = new Map(
    capable.map((target) => [target, parseAllowedHostnames(target.hostnames, `${targetKey(target)}.hostnames`)]),
  );
  const routed = new Map<CdnRuntimeTarget, number[]>(capable.map((target) => [target, []]));
  const rejected: FanOutRejection[] = [];

  for (const [index, object] of input.objects.entries()) {
    if (capable.length === 0) {
      rejected.push({ index, object, code: "noCdnServes", reason: noTargetForType(input.type, candidates) });
      continue;
    }
    const host = hostOf(input.type, object);
    if (host === "invalid") {
      rejected.push({
        index,
        object,
        code: "invalidUrl",
        reason: `expected an absolute http:// or https:// URL; got ${describe(object)}`,
      });
      continue;
    }
    const takers =
      host === undefined
        ? capable
        : capable.filter((target) => {
            const allowed = served.get(target);
            return allowed !== undefined && isHostnameAllowed(host, allowed);
          });
    if (takers.length === 0) {
      rejected.push({
        index,
        object,
        code: "noCdnServes",
        reason: `host ${host} is not served by any CDN target of this environment (${capable.map((t) => `${targetKey(t)}: ${t.hostnames.join(", ")}`).join("; ")})`,
      });
      continue;
    }
    for (const target of takers) routed.get(target)?.push(index);
  }

  const result: FanOut = { others: [], rejected };
  for (const [target, indexes] of routed) {
    if (indexes.length === 0) continue;
    const key = targetKey(target);
    const objects = indexes.map((i) => input.objects[i]);
    if (target.cdn === "akamai") {
      const prepared = preparePurge({
        type: input.type as PurgeType,
        action: input.action,
        network: input.network,
        objects,
        allowedHostnames: target.hostnames,
      });
      for (const r of prepared.rejected) {
        const index = indexes[r.index] ?? r.index;
        // Akamai's validation names the reason in a sentence (as in an Akamai-only environment), without a code.
        rejected.push({ index, object: input.objects[index], reason: r.reason, target: key });
      }
      if (prepared.plan.batches.length > 0) result.akamai = prepared;
      continue;
    }
    const provider = providerForPlanning(target, input.env);
    const validation = provider.validate(objects.map((value) => ({ type: input.type as CdnObjectType, value })));
    for (const r of validation.rejected) {
      const index = indexes[r.index] ?? r.index;
      rejected.push({ index, object: input.objects[index], reason: r.detail, code: r.reason, target: key });
    }
    const accepted = validation.accepted.map((a) => ({ ...a, index: indexes[a.index] ?? a.index }));
    const requests =
      accepted.length > 0
        ? provider.plan(accepted, { jobId: input.jobId }).flatMap((r) => fitToMessage(provider, r, input.jobId))
        : [];
    if (requests.length > 0)
      result.others.push({ key, cdn: target.cdn, requests, accepted: accepted.length, duplicates: validation.duplicates });
  }
  rejected.sort((a, b) => a.index - b.index);
  return result;
}

/**
 * Most bytes a planned request may take in its queue message (SQS takes 256 KiB; the rest of the message is small).
 * A Cloudflare Enterprise request of 500 long URLs or a CloudFront invalidation of 3,000 paths can be larger.
 */
export const MAX_PLANNED_REQUEST_BYTES = 200_000;

/**
 * A planned request too big for one queue message is planned again in halves (more, smaller requests within the
 * same limits: each object still in exactly one request).
 */
function fitToMessage(provider: CdnProvider, request: PlannedRequest, jobId: string): PlannedRequest[] {
  if (request.objects.length < 2 || Buffer.byteLength(JSON.stringify(request), "utf8") <= MAX_PLANNED_REQUEST_BYTES)
    return [request];
  const half = Math.ceil(request.objects.length / 2);
  return [request.objects.slice(0, half), request.objects.slice(half)].flatMap((objects) =>
    provider.plan(objects, { jobId }).flatMap((r) => fitToMessage(provider, r, jobId)),
  );
}

/**
 * The provider of a target, as configured. `token` is only needed to send (the worker reads it from the target's
 * secret); planning passes none.
 */
export function providerForTarget(
  target: Exclude<CdnRuntimeTarget, { cdn: "akamai" }>,
  token: string | undefined,
  env?: Record<string, string | undefined>,
): CdnProvider {
  const envOption = env === undefined ? {} : { env };
  switch (target.cdn) {
    case "fastly":
      return createFastlyProvider({
        serviceId: target.serviceId,
        token: token ?? PLANNING_ONLY_TOKEN,
        hostnames: target.hostnames,
        ...(target.softPurge !== undefined ? { softPurge: target.softPurge } : {}),
        ...(target.allowPurgeAll !== undefined ? { allowPurgeAll: target.allowPurgeAll } : {}),
        ...envOption,
      });
    case "cloudflare": {
      // The configured cap is for URLs (30 by default, 500 on Enterprise); the other kinds keep Cloudflare's 100.
      const max = target.maxItemsPerRequest;
      return createCloudflareProvider({
        zoneId: target.zoneId,
        token: token ?? PLANNING_ONLY_TOKEN,
        plan: target.plan,
        hostnames: target.hostnames,
        ...(target.allowPurgeAll !== undefined ? { allowPurgeAll: target.allowPurgeAll } : {}),
        ...(max !== undefined ? { maxItemsPerRequest: { url: max } } : {}),
        ...envOption,
      });
    }
    case "cloudfront":
      return createCloudFrontProvider({
        distributionId: target.distributionId,
        hostnames: target.hostnames,
        cacheTags: target.cacheTags,
        ...(target.tagFallback !== undefined ? { tagFallback: target.tagFallback } : {}),
        ...(target.allowPurgeAll !== undefined ? { allowPurgeAll: target.allowPurgeAll } : {}),
      });
  }
}

function providerForPlanning(
  target: Exclude<CdnRuntimeTarget, { cdn: "akamai" }>,
  env?: Record<string, string | undefined>,
): CdnProvider {
  return providerForTarget(target, undefined, env);
}

/** The host an object is routed by: URLs, Cloudflare hosts and prefixes; undefined = route by type alone. */
function hostOf(type: PurgeApiType, object: unknown): string | undefined | "invalid" {
  if (typeof object !== "string") return type === "url" ? "invalid" : undefined;
  if (type === "url") {
    const host = URL_HOST.exec(object)?.[1];
    if (host === undefined || host === "") return "invalid";
    return host.replace(/:\d*$/, "").toLowerCase();
  }
  if (type === "host") return object.toLowerCase();
  if (type === "prefix") return (object.split("/")[0] ?? "").toLowerCase() || undefined;
  return undefined;
}

function noTargetForType(type: PurgeApiType, candidates: readonly CdnRuntimeTarget[]): string {
  const needed = TYPE_CDNS[type].join(" or ");
  const have = candidates.map(targetKey).join(", ") || "none";
  return `type ${type} is purged by ${needed}; the CDN targets asked for here are: ${have}`;
}
