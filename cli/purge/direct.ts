/**
 * Direct purges with an EdgeGrid credential (`edgeplane purge --edgerc`): validate → plan → send, with the
 * shared core code (validateObjects, planBatches, sendBatches over EdgeGridTransport).
 * `npm run demo` and bench/purge.ts call these same functions.
 */
import type { EdgeGridCredentials } from "../../core/edgegrid/credentials";
import { EdgeGridTransport } from "../../core/edgegrid/transport";
import {
  type PurgeAction,
  type PurgeNetwork,
  type PurgeObject,
  type PurgeType,
  type RejectedObject,
  validateObjects,
} from "../../core/purge/objects";
import { type PurgePlan, planBatches } from "../../core/purge/planner";
import { PurgeBuckets } from "../../core/purge/rate-limit";
import {
  type PurgeHttp,
  type PurgeLogger,
  type SendBatchesResult,
  type SendProgress,
  sendBatches,
} from "../../core/purge/sender";
import type { PurgeReport, ReportFailure } from "./report";

export const DIRECT_MAX_ATTEMPTS = 5;

export interface PreparedPurge {
  type: PurgeType;
  action: PurgeAction;
  network: PurgeNetwork;
  /** Valid objects, each once, in input order. */
  accepted: PurgeObject[];
  plan: PurgePlan;
  /** Objects refused by validation (with the index into the input list) or by the planner. */
  rejected: RejectedObject[];
  duplicates: number;
}

export interface PrepareInput {
  type: PurgeType;
  action: PurgeAction;
  network: PurgeNetwork;
  objects: readonly unknown[];
  /** Required for url. */
  allowedHostnames?: readonly string[];
}

/** Validates and plans; sends nothing. */
export function preparePurge(input: PrepareInput): PreparedPurge {
  const validated = validateObjects({
    type: input.type,
    objects: input.objects,
    ...(input.allowedHostnames ? { allowedHostnames: input.allowedHostnames } : {}),
  });
  const plan = planBatches({ type: input.type, action: input.action, network: input.network, objects: validated.accepted });
  // The planner only refuses objects too big for any body (e.g. a 60 KB URL); its indexes point into
  // `accepted`, not the input, so those carry index -1 (no input position).
  const rejected: RejectedObject[] = [
    ...validated.rejected,
    ...plan.rejected.map((r) => ({ index: -1, object: r.object, reason: r.reason })),
  ];
  return {
    type: input.type,
    action: input.action,
    network: input.network,
    accepted: validated.accepted,
    plan,
    rejected,
    duplicates: validated.duplicates,
  };
}

/** The sender's transport, over EdgeGrid-signed HTTP(S). */
export class EdgeGridPurgeHttp implements PurgeHttp {
  constructor(private readonly transport: EdgeGridTransport) {}

  async post(path: string, body: string) {
    const response = await this.transport.request({ method: "POST", path, body });
    return { status: response.status, headers: response.headers, body: response.body };
  }
}

export interface SendDirectOptions {
  credentials: EdgeGridCredentials;
  /** For EDGEPLANE_INSECURE_LOOPBACK (host-safety.ts); default process.env. */
  env?: Record<string, string | undefined>;
  onProgress?: (progress: SendProgress) => void;
  logger?: PurgeLogger;
  /** Default: real time. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Wraps the transport, e.g. to time requests (bench/purge.ts). */
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
    const base: PurgeHttp = new EdgeGridPurgeHttp(transport);
    return await sendBatches(prepared.plan.batches, {
      http: options.wrapHttp ? options.wrapHttp(base) : base,
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
    batches: (result?.succeeded ?? []).map((s) => ({ purgeId: s.purgeId, estimatedSeconds: s.estimatedSeconds, objects: s.objects.length })),
    rejected: prepared.rejected.map((r) => ({ object: r.object, reason: r.reason })),
    failed,
  };
}
