/**
 * The multi-CDN purge benchmark's measurement: for each CDN (and Cloudflare plan), URLs and tags go through the
 * provider and runner of core/cdn, over real HTTP on loopback, to a fresh emulator (the Akamai sandbox, or the
 * Fastly, Cloudflare or CloudFront emulator) for each run. Figures come from what the emulator recorded.
 *
 * Clock: a run may speed time up by `scale`. Then one scaled clock ("CDN time": CDN time runs `scale` times
 * faster than the wall clock) is shared by the emulator (its `now` option, time scale 1, so its buckets hold the
 * documented rates in CDN time), the runner (its injected clock: sleeps last ms / scale real ms) and, for Akamai,
 * the EdgeGrid signer. Rates are reported in CDN minutes (= real minutes × scale), the minutes a real CDN would
 * take. Real HTTP round trips also count `scale` times over in CDN time, so a scale too high makes a CDN look slow.
 */
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { akamaiTransport, createAkamaiProvider } from "../../core/cdn/akamai";
import { createCloudflareProvider, type CloudflarePlan } from "../../core/cdn/cloudflare";
import { createCloudFrontProvider, CLOUDFRONT_MAX_PATHS, CLOUDFRONT_MAX_WILDCARDS } from "../../core/cdn/cloudfront";
import { cloudFrontTransport } from "../../core/cdn/cloudfront-sdk";
import { createFastlyProvider } from "../../core/cdn/fastly";
import { fetchTransport } from "../../core/cdn/fetch-transport";
import { type CdnClock, runCdnRequests } from "../../core/cdn/runner";
import type { CdnName, CdnObjectInput, CdnProvider, CdnTransport, ReasonCode } from "../../core/cdn/types";
import { EdgeGridTransport } from "../../core/edgegrid/transport";
import { INSECURE_LOOPBACK_ENV } from "../../core/edgegrid/host-safety";
import { purgeHttpFromTransport } from "../../core/jobs/send";
import type { EmulatorRequestRecord } from "../../sandbox/cdn-server";
import { throwawayCredentials } from "../../sandbox/cdn-sandbox";
import { cloudflarePurgedObjects, startCloudflareEmulator } from "../../sandbox/cloudflare";
import { cloudFrontInvalidatedPaths, startCloudFrontEmulator } from "../../sandbox/cloudfront";
import { fastlyPurgedObjects, startFastlyEmulator } from "../../sandbox/fastly";
import { randomSandboxClient } from "../../sandbox/main";
import { startSandbox } from "../../sandbox/server";
import { purgedObjects } from "../../sandbox/state";
import { BENCH_HOST, sampleUrls } from "../purge/run";

export type BenchCaseName =
  | "akamai"
  | "fastly"
  | "cloudflare-free"
  | "cloudflare-pro"
  | "cloudflare-business"
  | "cloudflare-enterprise"
  | "cloudfront";
export const BENCH_CASES: readonly BenchCaseName[] = [
  "akamai",
  "fastly",
  "cloudflare-free",
  "cloudflare-pro",
  "cloudflare-business",
  "cloudflare-enterprise",
  "cloudfront",
];

/**
 * Default speed-up per case. Fastly has no rate limit on URL and key purges, so it runs on the wall clock (its
 * objects/min is this machine's loopback throughput). The others are scaled enough to finish in seconds and little
 * enough that real round trips stay small next to the limits' waits.
 */
export const DEFAULT_SCALES: Readonly<Record<BenchCaseName, number>> = {
  // 10,000 URLs and 2,000 tags fit Akamai's buckets (10,000 URLs, 5,000 tags): nothing waits, so no speed-up.
  akamai: 1,
  fastly: 1,
  "cloudflare-free": 2,
  "cloudflare-pro": 2,
  "cloudflare-business": 2,
  "cloudflare-enterprise": 2,
  // Four invalidations, each waiting for the one before to leave the 3,000 paths in progress (~25-30 s apiece).
  cloudfront: 30,
};

/** A documented limit on throughput: a burst that goes at once, then a steady rate. */
export interface DocumentedRate {
  /** Objects the limit lets through at once (a full bucket; CloudFront: one batch of in-progress paths). */
  burstObjects: number;
  objectsPerMinute: number;
  /** Where the figure comes from (shown in the printout). */
  source: string;
}

/*
 * Documented rates. Sources:
 * - Akamai: /work/shared/reference/akamai-apis.md, "Rate-limit model" table (TD-purge rate-limiting): URL/ARL bucket
 *   size 10,000, refill 12,000/minute; cache tag bucket size 5,000, refill 500/minute.
 * - Fastly: cdn-apis.md §1 "API rate limit": "Surrogate key and URL purge requests are also not limited" → none.
 * - Cloudflare: cdn-apis.md §2.2 (developers.cloudflare.com/cache/how-to/purge-cache/): single-file purge 800 /
 *   1,500 / 1,500 / 3,000 URLs/s (Free/Pro/Business/Enterprise), burst undocumented (the emulator and the provider
 *   assume one second's worth); tag requests 5/min, 5/s, 10/s, 50/s with buckets of 25, 25, 50, 500 requests, at
 *   most 100 tags per request.
 * - CloudFront: cdn-apis.md §3.2: 3,000 paths in progress per distribution (InvalidationLimits.html), completion
 *   < 25 s at P95 (whats-new 2026-04): 3,000 paths per 25 s = 7,200 paths/min beyond the first 3,000.
 */
const CLOUDFLARE_URLS_PER_SECOND: Record<CloudflarePlan, number> = { free: 800, pro: 1500, business: 1500, enterprise: 3000 };
const CLOUDFLARE_TAG_REQUESTS: Record<CloudflarePlan, { burst: number; perMinute: number }> = {
  free: { burst: 25, perMinute: 5 },
  pro: { burst: 25, perMinute: 300 },
  business: { burst: 50, perMinute: 600 },
  enterprise: { burst: 500, perMinute: 3000 },
};
const CLOUDFLARE_TAGS_PER_REQUEST = 100;
const CLOUDFRONT_COMPLETION_MS = 25_000;

export function documentedRate(name: BenchCaseName, kind: BenchKind): DocumentedRate | undefined {
  if (name === "akamai") {
    return kind === "url"
      ? { burstObjects: 10_000, objectsPerMinute: 12_000, source: "akamai-apis.md: URL bucket 10,000, refill 12,000/min" }
      : { burstObjects: 5_000, objectsPerMinute: 500, source: "akamai-apis.md: tag bucket 5,000, refill 500/min" };
  }
  if (name === "fastly") return undefined;
  if (name === "cloudfront") {
    return {
      burstObjects: CLOUDFRONT_MAX_PATHS,
      objectsPerMinute: (CLOUDFRONT_MAX_PATHS * 60_000) / CLOUDFRONT_COMPLETION_MS,
      source: "cdn-apis.md §3.2: 3,000 paths in progress, completion < 25 s P95",
    };
  }
  const plan = cloudflarePlan(name);
  if (kind === "url") {
    const perSecond = CLOUDFLARE_URLS_PER_SECOND[plan];
    return {
      burstObjects: perSecond,
      objectsPerMinute: perSecond * 60,
      source: `cdn-apis.md §2.2: ${perSecond} URLs/s (burst 1 s, unconfirmed)`,
    };
  }
  const tags = CLOUDFLARE_TAG_REQUESTS[plan];
  return {
    burstObjects: tags.burst * CLOUDFLARE_TAGS_PER_REQUEST,
    objectsPerMinute: tags.perMinute * CLOUDFLARE_TAGS_PER_REQUEST,
    source: `cdn-apis.md §2.2: ${tags.perMinute} req/min, burst ${tags.burst}, 100 tags/req`,
  };
}

/** What one run purges: URLs, tags, or (CloudFront, where one invalidation carries both) both together. */
export type BenchKind = "url" | "tag" | "url+tag";

export interface CdnBenchOptions {
  urls: number;
  tags: number;
  /** Default all of BENCH_CASES. */
  cases?: readonly BenchCaseName[];
  /** Per-case speed-ups replacing DEFAULT_SCALES. */
  scales?: Partial<Record<BenchCaseName, number>>;
}

export interface CdnBenchRun {
  name: BenchCaseName;
  cdn: CdnName;
  kind: BenchKind;
  scale: number;
  objects: number;
  accepted: number;
  /** Rejections by the provider before sending (reason: count); none expected for the sample objects. */
  rejected: Partial<Record<ReasonCode, number>>;
  planned: number;
  /** The fewest requests the CDN's limits allow (provider.minimumRequests). */
  minimum: number;
  /** Purge requests the emulator received (429s and other refusals included). */
  requestsSent: number;
  http429: number;
  /** Answers the runner waited on (429s, CloudFront TooManyInvalidationsInProgress / Throttling). */
  throttledOrBusy: number;
  failed: Array<{ reason: ReasonCode; detail: string; objects: number }>;
  /** Requests over a limit: planned requests the provider's own check refuses, and what the emulator saw. */
  limitProblems: string[];
  /** Per accepted object, from the emulator's record. */
  purgedOnce: number;
  purgedMoreThanOnce: number;
  missing: number;
  /** Objects the emulator recorded that were not asked for. */
  unexpected: number;
  /** From the first request's start to the last answer. */
  realMs: number;
  cdnMs: number;
  /** Accepted objects done per CDN minute. */
  objectsPerMinute: number;
  documented?: DocumentedRate;
  /** The least CDN time the documented rate allows for these objects: (objects − burst) / rate, at least 0. */
  leastCdnMs?: number;
}

/** Distinct sample tags of varied shape and length. */
export function sampleTags(count: number): string[] {
  const kinds = ["product", "category", "article", "author", "campaign"];
  return Array.from({ length: count }, (_, i) => `${kinds[i % kinds.length]}-${String(i).padStart(5, "0")}${"k".repeat(i % 7)}`);
}

/**
 * Time that runs `scale` times faster than the wall clock, from now on. `now()` is epoch ms in CDN time (it starts
 * at the real time), `sleep(ms)` waits ms of CDN time.
 */
export function scaledClock(scale: number): CdnClock {
  if (!(Number.isFinite(scale) && scale > 0)) throw new RangeError(`scale must be a positive number; got ${String(scale)}`);
  const startEpoch = Date.now();
  const startPerf = performance.now();
  return {
    now: () => startEpoch + (performance.now() - startPerf) * scale,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms) / scale)),
  };
}

interface Target {
  provider: CdnProvider;
  transport: CdnTransport;
  /** Purge requests the emulator recorded. */
  requests(): Array<Pick<EmulatorRequestRecord, "status">>;
  /** Every object the emulator recorded as purged, as wire items (what accepted objects' `item` holds). */
  purged(): string[];
  /** What the emulator saw over a limit. */
  limitProblems(): string[];
  close(): Promise<void>;
}

const LOOPBACK = { [INSECURE_LOOPBACK_ENV]: "1" };

function cloudflarePlan(name: BenchCaseName): CloudflarePlan {
  const plan = name.startsWith("cloudflare-") ? name.slice("cloudflare-".length) : "";
  if (!["free", "pro", "business", "enterprise"].includes(plan)) throw new RangeError(`${name} is not a cloudflare case`);
  return plan as CloudflarePlan;
}

async function startTarget(name: BenchCaseName, clock: CdnClock, kind: BenchKind): Promise<Target> {
  const now = () => clock.now();
  if (name === "akamai") {
    const client = randomSandboxClient();
    const sandbox = await startSandbox({ clients: [client], now });
    const edgegrid = new EdgeGridTransport({ credentials: { host: sandbox.url, ...client }, env: LOOPBACK, now });
    const type = kind === "tag" ? "tag" : "url";
    return {
      provider: createAkamaiProvider({ action: "invalidate", network: "staging", allowedHostnames: [BENCH_HOST] }),
      transport: akamaiTransport(purgeHttpFromTransport(edgegrid)),
      requests: () => sandbox.state.requests.filter((r) => r.path.startsWith("/ccu/v3/")),
      purged: () => purgedObjects(sandbox.state, { type }).map(String),
      limitProblems: () =>
        sandbox.state.requests
          .filter((r) => r.status === 413)
          .map((r) => `akamai answered 413 (body over 50,000 bytes) to ${r.path}`),
      close: async () => {
        edgegrid.close();
        await sandbox.close();
      },
    };
  }
  const credentials = throwawayCredentials(name.startsWith("cloudflare-") ? cloudflarePlan(name) : "pro");
  if (name === "fastly") {
    const { serviceId, token } = credentials.fastly;
    const emulator = await startFastlyEmulator({
      services: [{ id: serviceId, hosts: [BENCH_HOST], purgeRequiresAuth: true }],
      tokens: [{ token, scope: "purge_select", services: [serviceId] }],
      now,
    });
    return {
      provider: createFastlyProvider({
        serviceId,
        token,
        hostnames: [BENCH_HOST],
        env: { ...LOOPBACK, EDGEPLANE_FASTLY_API_URL: emulator.url },
      }),
      transport: fetchTransport(),
      requests: () => emulator.state.requests,
      purged: () => fastlyPurgedObjects(emulator.state, { kind: kind === "tag" ? "key" : "url" }),
      limitProblems: () =>
        emulator.state.requests
          .filter((r) => r.status === 400)
          .map((r) => `fastly answered 400 to ${r.path} (e.g. over 256 keys)`),
      close: () => emulator.close(),
    };
  }
  if (name === "cloudfront") {
    const aws = credentials.cloudfront;
    const key = { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey };
    const emulator = await startCloudFrontEmulator({
      distributions: [{ id: aws.distributionId, cacheTags: true }],
      credentials: [{ ...key, accountId: aws.accountId, distributionIds: [aws.distributionId] }],
      completionMs: CLOUDFRONT_COMPLETION_MS,
      now,
    });
    const client = new CloudFrontClient({ endpoint: emulator.url, region: "us-east-1", credentials: key, maxAttempts: 1 });
    return {
      provider: createCloudFrontProvider({ distributionId: aws.distributionId, hostnames: [BENCH_HOST], cacheTags: true }),
      transport: cloudFrontTransport(client),
      requests: () => emulator.state.requests.filter((r) => r.path.includes("/invalidation")),
      purged: () => cloudFrontInvalidatedPaths(emulator.state),
      limitProblems: () =>
        Object.entries(emulator.state.peakInProgress)
          .filter(([, peak]) => peak.paths > CLOUDFRONT_MAX_PATHS || peak.wildcards > CLOUDFRONT_MAX_WILDCARDS)
          .map(([id, peak]) => `cloudfront ${id}: ${peak.paths} paths / ${peak.wildcards} wildcards in progress at once`),
      close: async () => {
        client.destroy();
        await emulator.close();
      },
    };
  }
  const plan = cloudflarePlan(name);
  const cf = credentials.cloudflare;
  const emulator = await startCloudflareEmulator({
    zones: [{ id: cf.zoneId, plan, accountId: cf.accountId }],
    tokens: [{ token: cf.token, kind: "user", purgeZones: [cf.zoneId] }],
    now,
  });
  return {
    provider: createCloudflareProvider({
      zoneId: cf.zoneId,
      token: cf.token,
      plan,
      hostnames: [BENCH_HOST],
      env: { ...LOOPBACK, EDGEPLANE_CLOUDFLARE_API_URL: `${emulator.url}/client/v4` },
    }),
    transport: fetchTransport(),
    requests: () => emulator.state.requests,
    purged: () => cloudflarePurgedObjects(emulator.state, { kind: kind === "tag" ? "tags" : "files" }),
    limitProblems: () =>
      emulator.state.sizes
        .filter((s) => s.items > s.cap)
        .map((s) => `cloudflare got ${s.items} ${s.kind} in one request; the cap is ${s.cap}`),
    close: () => emulator.close(),
  };
}

/** One run: validate, plan, send through the runner to a fresh emulator, and read back what it recorded. */
export async function runCdnBenchCase(
  name: BenchCaseName,
  kind: BenchKind,
  inputs: readonly CdnObjectInput[],
  scale: number,
): Promise<CdnBenchRun> {
  const clock = scaledClock(scale);
  const target = await startTarget(name, clock, kind);
  try {
    const { provider } = target;
    const validation = provider.validate(inputs);
    const rejected: Partial<Record<ReasonCode, number>> = {};
    for (const r of validation.rejected) rejected[r.reason] = (rejected[r.reason] ?? 0) + 1;
    const requests = provider.plan(validation.accepted, { jobId: `bench-${name}-${kind.replace("+", "-")}` });
    const limitProblems = requests
      .map((request, index) => [index, provider.checkRequest(request)] as const)
      .filter((entry): entry is readonly [number, string] => entry[1] !== undefined)
      .map(([index, problem]) => `planned request ${index}: ${problem}`);

    let firstStart: { real: number; cdn: number } | undefined;
    let lastEnd = { real: 0, cdn: 0 };
    const transport: CdnTransport = async (wire) => {
      firstStart ??= { real: performance.now(), cdn: clock.now() };
      try {
        return await target.transport(wire);
      } finally {
        lastEnd = { real: performance.now(), cdn: clock.now() };
      }
    };
    const result = await runCdnRequests(provider, requests, { transport, clock });

    const arrived = new Map<string, number>();
    for (const item of target.purged()) arrived.set(item, (arrived.get(item) ?? 0) + 1);
    let purgedOnce = 0;
    let purgedMoreThanOnce = 0;
    let missing = 0;
    for (const object of validation.accepted) {
      const item = String(object.item);
      const count = arrived.get(item) ?? 0;
      if (count === 1) purgedOnce++;
      else if (count > 1) purgedMoreThanOnce++;
      else missing++;
      arrived.delete(item);
    }
    const received = target.requests();
    const realMs = firstStart === undefined ? 0 : lastEnd.real - firstStart.real;
    const cdnMs = firstStart === undefined ? 0 : lastEnd.cdn - firstStart.cdn;
    const documented = documentedRate(name, kind);
    const accepted = validation.accepted.length;
    return {
      name,
      cdn: provider.cdn,
      kind,
      scale,
      objects: inputs.length,
      accepted,
      rejected,
      planned: requests.length,
      minimum: provider.minimumRequests(validation.accepted),
      requestsSent: received.length,
      http429: received.filter((r) => r.status === 429).length,
      throttledOrBusy: result.throttled,
      failed: result.outcomes.flatMap((o) =>
        o.status === "failed" ? [{ reason: o.reason, detail: o.detail, objects: o.objects.length }] : [],
      ),
      limitProblems: [...limitProblems, ...target.limitProblems()],
      purgedOnce,
      purgedMoreThanOnce,
      missing,
      unexpected: [...arrived.values()].reduce((sum, n) => sum + n, 0),
      realMs,
      cdnMs,
      objectsPerMinute: cdnMs > 0 ? (result.objectsDone * 60_000) / cdnMs : Number.POSITIVE_INFINITY,
      ...(documented === undefined
        ? {}
        : { documented, leastCdnMs: (Math.max(0, accepted - documented.burstObjects) * 60_000) / documented.objectsPerMinute }),
    };
  } finally {
    await target.close();
  }
}

/** The correctness verdict of a run: every object once, nothing failed, nothing over a limit, requests ≥ minimum. */
export function runProblems(run: CdnBenchRun): string[] {
  const problems: string[] = [];
  if (run.accepted !== run.objects)
    problems.push(`${run.objects - run.accepted} objects rejected: ${JSON.stringify(run.rejected)}`);
  if (run.purgedOnce !== run.accepted) {
    problems.push(
      `${run.purgedOnce}/${run.accepted} purged once, ${run.purgedMoreThanOnce} more than once, ${run.missing} missing`,
    );
  }
  if (run.unexpected > 0) problems.push(`${run.unexpected} unexpected objects at the emulator`);
  for (const f of run.failed.slice(0, 3)) problems.push(`failed (${f.objects} objects): ${f.reason}: ${f.detail}`);
  problems.push(...run.limitProblems.slice(0, 3));
  if (run.planned < run.minimum)
    problems.push(`planned ${run.planned} requests, below the computed minimum ${run.minimum}: the minimum is wrong`);
  if (run.requestsSent < run.planned)
    problems.push(`the emulator received ${run.requestsSent} requests of ${run.planned} planned`);
  return problems;
}

/** Every case: URLs and tags as separate runs, except CloudFront, where one invalidation carries both. */
export async function runCdnBench(options: CdnBenchOptions, onRun?: (run: CdnBenchRun) => void): Promise<CdnBenchRun[]> {
  const urls: CdnObjectInput[] = sampleUrls(options.urls).map((value) => ({ type: "url", value }));
  const tags: CdnObjectInput[] = sampleTags(options.tags).map((value) => ({ type: "tag", value }));
  const runs: CdnBenchRun[] = [];
  for (const name of options.cases ?? BENCH_CASES) {
    const scale = options.scales?.[name] ?? DEFAULT_SCALES[name];
    const jobs: Array<[BenchKind, CdnObjectInput[]]> =
      name === "cloudfront"
        ? [["url+tag", [...urls, ...tags]]]
        : [
            ["url", urls],
            ["tag", tags],
          ];
    for (const [kind, inputs] of jobs) {
      if (inputs.length === 0) continue;
      const run = await runCdnBenchCase(name, kind, inputs, scale);
      runs.push(run);
      onRun?.(run);
    }
  }
  return runs;
}
