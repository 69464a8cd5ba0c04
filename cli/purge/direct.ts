/**
 * Direct purges with an EdgeGrid credential (`edgeplane purge --edgerc` or the AKAMAI_* variables):
 * preparePurge (core) → sendBatches over the Fast Purge client (core), the same pieces the purge API
 * and the worker use. `npm run demo` and bench/purge call these functions.
 */
import { FastPurgeClient } from "../../core/akamai/fast-purge";
import type { EdgeGridCredentials } from "../../core/edgegrid/credentials";
import { EdgeGridTransport } from "../../core/edgegrid/transport";
import { type PreparedPurge, preparePurge } from "../../core/purge/prepare";
import { PurgeBuckets } from "../../core/purge/rate-limit";
import {
  type PurgeHttp,
  type PurgeLogger,
  type SendBatchesResult,
  type SendProgress,
  sendBatches,
} from "../../core/purge/sender";
import type { PurgeReport, ReportFailure } from "./report";

export { type PreparedPurge, preparePurge };

export const DIRECT_MAX_ATTEMPTS = 5;

export interface SendDirectOptions {
  credentials: EdgeGridCredentials;
  /** For EDGEPLANE_INSECURE_LOOPBACK (host-safety.ts); default process.env. */
  env?: Record<string, string | undefined>;
  onProgress?: (progress: SendProgress) => void;
  logger?: PurgeLogger;
  /** Default: real time. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Wraps the client, e.g. to time requests (bench/purge). */
  wrapHttp?: (http: PurgeHttp) => PurgeHttp;
}

/**
 * Sends planned batches with the credential. Throws EdgeGridHostError before sending anything when the
 * credential host is not an Akamai API host (or loopback with EDGEPLANE_INSECURE_LOOPBACK=1).
 */
export async function sendPlanned(prepared: PreparedPurge, options: SendDirectOptions): Promise<SendBatchesResult> {
  const transport = new EdgeGridTransport({
    credentials: options.credentials,
    userAgent: "edgeplane-purge",
    ...(options.env ? { env: options.env } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  try {
    const client: PurgeHttp = new FastPurgeClient(transport);
    return await sendBatches(prepared.plan.batches, {
      http: options.wrapHttp ? options.wrapHttp(client) : client,
      buckets: new PurgeBuckets(options.now ? { now: options.now } : {}),
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: Math.random,
      maxAttempts: DIRECT_MAX_ATTEMPTS,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  } finally {
    transport.close();
  }
}

export function directReport(prepared: PreparedPurge, result: SendBatchesResult | undefined): PurgeReport {
  const failed: ReportFailure[] = (result?.failed ?? []).map((f) => {
    const failure: ReportFailure = {
      objects: f.batch.objects.length,
      reason: f.reason,
      detail: f.detail,
      batch: prepared.plan.batches.indexOf(f.batch),
    };
    if (f.status !== undefined) failure.status = f.status;
    if (f.supportId !== undefined) failure.supportId = f.supportId;
    return failure;
  });
  return {
    batches: (result?.succeeded ?? []).map((s) => ({
      purgeId: s.purgeId,
      estimatedSeconds: s.estimatedSeconds,
      objects: s.objects.length,
    })),
    rejected: prepared.rejected.map((r) => ({ object: r.object, reason: r.reason })),
    failed,
  };
}
