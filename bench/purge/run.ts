/**
 * The purge benchmark's measurement: N URLs through the sandbox (real HTTP, real EdgeGrid signatures)
 * with the code `edgeplane purge --edgerc` runs (cli/purge/direct.ts), under the sandbox's Fast Purge
 * rate limits with time scaled by `timeScale` (the sandbox's rate-limit headers report the scaled rates,
 * and the sender corrects its model from them).
 *
 * Client overhead per request = time in our code outside the HTTP round trip: from the end of the previous
 * request (or the start) to this request's start, minus time asleep waiting for tokens, plus from its
 * response headers to the sender getting the parsed answer. The round trip is bounded with Node's
 * diagnostics channels `http.client.request.start` and `http.client.response.finish`; so signing, body
 * hashing, planning bookkeeping and reading the (small) response body count as overhead.
 */
import diagnosticsChannel from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import { INSECURE_LOOPBACK_ENV } from "../../core/edgegrid/host-safety";
import { MAX_BODY_BYTES, MAX_OBJECTS_PER_REQUEST } from "../../core/purge/planner";
import { OBJECT_BUCKETS } from "../../core/purge/rate-limit";
import type { PurgeHttp, SendBatchesResult } from "../../core/purge/sender";
import { preparePurge, sendPlanned } from "../../cli/purge/direct";
import { randomSandboxClient } from "../../sandbox/main";
import { FAST_PURGE_BUCKETS } from "../../sandbox/fast-purge";
import { startSandbox } from "../../sandbox/server";
import { purgedObjects } from "../../sandbox/state";

export const BENCH_HOST = "www.example.com";

export interface PurgeBenchOptions {
  urls: number;
  timeScale: number;
}

export interface PurgeBenchFigures {
  urls: number;
  timeScale: number;
  batches: number;
  totalBodyBytes: number;
  /** ceil(total body bytes / 50,000): fewer requests cannot carry the bytes. */
  minimumRequests: number;
  /** HTTP requests the sandbox received (429s included). */
  requests: number;
  throttled429: number;
  /** Real milliseconds from the first request's start to the last response. */
  elapsedMs: number;
  /** elapsedMs in sandbox time, in minutes. */
  sandboxMinutes: number;
  objectsAccepted: number;
  objectsPerMinute: number;
  /** Objects beyond the bucket's initial burst per sandbox minute: what the refill rate limits. */
  sustainedObjectsPerMinute: number;
  refillPerMinute: number;
  initialBurst: number;
  /** Sandbox state: objects that arrived exactly once / more than once / never / not asked for. */
  arrivedOnce: number;
  arrivedMoreThanOnce: number;
  missing: number;
  unexpected: number;
  failedBatches: SendBatchesResult["failed"];
  /** Client overhead per request, ms. */
  overheadMs: number[];
  /** Time asleep waiting for tokens or after 429s, ms (real). */
  sleptMs: number;
  sleeps: number;
}

/** Sample URLs: varied paths and lengths, realistic sizes (~60-90 bytes), all on BENCH_HOST. */
export function sampleUrls(count: number): string[] {
  const sections = ["products", "category/shoes", "blog/2025", "assets/img", "help/articles"];
  return Array.from({ length: count }, (_, i) => {
    const section = sections[i % sections.length] as string;
    const query = i % 3 === 0 ? `?v=${i % 97}` : "";
    return `https://${BENCH_HOST}/${section}/item-${String(i).padStart(6, "0")}${"x".repeat(i % 11)}.html${query}`;
  });
}

export async function runPurgeBench(options: PurgeBenchOptions): Promise<PurgeBenchFigures> {
  const urls = sampleUrls(options.urls);
  const client = randomSandboxClient();
  const sandbox = await startSandbox({ clients: [client], timeScale: options.timeScale });

  let roundTripStart = 0;
  let roundTripEnd = 0;
  let current: ClientRequest | undefined;
  const onStart = (message: unknown): void => {
    current = (message as { request: ClientRequest }).request;
    roundTripStart = performance.now();
  };
  const onFinish = (message: unknown): void => {
    if ((message as { request: ClientRequest }).request === current) roundTripEnd = performance.now();
  };
  diagnosticsChannel.subscribe("http.client.request.start", onStart);
  diagnosticsChannel.subscribe("http.client.response.finish", onFinish);

  const overheadMs: number[] = [];
  let sleptMs = 0;
  let sleeps = 0;
  let sleptSinceLast = 0;
  let lastExit = 0;
  let firstStart: number | undefined;
  let lastFinish = 0;

  const prepared = preparePurge({
    type: "url",
    action: "invalidate",
    network: "staging",
    objects: urls,
    allowedHostnames: [BENCH_HOST],
  });
  let result: SendBatchesResult;
  try {
    result = await sendPlanned(prepared, {
      credentials: { host: sandbox.url, ...client },
      env: { [INSECURE_LOOPBACK_ENV]: "1" },
      sleep: async (ms) => {
        const t0 = performance.now();
        await new Promise((resolve) => setTimeout(resolve, ms));
        const slept = performance.now() - t0;
        sleptMs += slept;
        sleptSinceLast += slept;
        sleeps++;
      },
      wrapHttp: (inner: PurgeHttp): PurgeHttp => {
        lastExit = performance.now();
        return {
          post: async (path, body) => {
            const response = await inner.post(path, body);
            const exit = performance.now();
            firstStart ??= roundTripStart;
            lastFinish = roundTripEnd;
            overheadMs.push(roundTripStart - lastExit - sleptSinceLast + (exit - roundTripEnd));
            sleptSinceLast = 0;
            lastExit = exit;
            return response;
          },
        };
      },
    });
  } finally {
    diagnosticsChannel.unsubscribe("http.client.request.start", onStart);
    diagnosticsChannel.unsubscribe("http.client.response.finish", onFinish);
    await sandbox.close();
  }

  const arrived = new Map<string, number>();
  for (const object of purgedObjects(sandbox.state, { type: "url" }))
    arrived.set(String(object), (arrived.get(String(object)) ?? 0) + 1);
  let arrivedOnce = 0;
  let arrivedMoreThanOnce = 0;
  let missing = 0;
  for (const object of prepared.accepted) {
    const n = arrived.get(String(object)) ?? 0;
    if (n === 1) arrivedOnce++;
    else if (n > 1) arrivedMoreThanOnce++;
    else missing++;
    arrived.delete(String(object));
  }

  const elapsedMs = lastFinish - (firstStart ?? lastFinish);
  const sandboxMinutes = (elapsedMs * options.timeScale) / 60_000;
  const objectsAccepted = result.succeeded.reduce((n, s) => n + s.objects.length, 0);
  const initialBurst = FAST_PURGE_BUCKETS.url.capacity;
  const totalBodyBytes = prepared.plan.batches.reduce((n, b) => n + b.bodyBytes, 0);
  return {
    urls: options.urls,
    timeScale: options.timeScale,
    batches: prepared.plan.batches.length,
    totalBodyBytes,
    minimumRequests: Math.max(
      Math.ceil(totalBodyBytes / MAX_BODY_BYTES),
      Math.ceil(prepared.accepted.length / MAX_OBJECTS_PER_REQUEST.url),
    ),
    requests: sandbox.state.requests.length,
    throttled429: sandbox.state.requests.filter((r) => r.status === 429).length,
    elapsedMs,
    sandboxMinutes,
    objectsAccepted,
    objectsPerMinute: sandboxMinutes > 0 ? objectsAccepted / sandboxMinutes : Number.NaN,
    sustainedObjectsPerMinute: sandboxMinutes > 0 ? Math.max(0, objectsAccepted - initialBurst) / sandboxMinutes : Number.NaN,
    refillPerMinute: OBJECT_BUCKETS.url.refillPerSecond * 60,
    initialBurst,
    arrivedOnce,
    arrivedMoreThanOnce,
    missing,
    unexpected: [...arrived.values()].reduce((n, c) => n + c, 0),
    failedBatches: result.failed,
    overheadMs,
    sleptMs,
    sleeps,
  };
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}
