/**
 * One Fast Purge try for one batch, with the credential from the rotating secret: the shared step of the
 * worker and of the API's inline (`wait: true`) purges.
 *
 * On a 401 the cached credential may be the one rotation just retired (rotation race), so the cache is
 * invalidated, the secret read again and the batch sent once more. A second 401 is final.
 */
import type { EdgeGridCredentials } from "../edgegrid/credentials";
import { FastPurgeClient } from "../akamai/fast-purge";
import { EdgeGridTransport } from "../edgegrid/transport";
import type { AppLogger, PurgeMetrics } from "../observability";
import type { PurgeBatch } from "../purge/planner";
import type { PurgeBuckets } from "../purge/rate-limit";
import { sendOne, type PurgeHttp, type PurgeLogger, type SendOneResult } from "../purge/sender";
import type { CredentialSource } from "../secrets/credential-cache";

/** The Fast Purge client (core/akamai/fast-purge.ts) over a transport: one client on every path. */
export function purgeHttpFromTransport(transport: Pick<EdgeGridTransport, "request">, timeoutMs?: number): PurgeHttp {
  return new FastPurgeClient(transport, timeoutMs !== undefined ? { timeoutMs } : {});
}

export interface PurgeHttpProvider {
  /** A PurgeHttp signing with these credentials. Throws EdgeGridHostError for a host that is not allowed. */
  forCredentials(credentials: EdgeGridCredentials): PurgeHttp;
}

export interface TransportCacheOptions {
  /** Per-request timeout. */
  timeoutMs: number;
  /** Read for EDGEPLANE_INSECURE_LOOPBACK; default process.env. */
  env?: Record<string, string | undefined>;
  /** Signing clock; default Date.now. */
  now?: () => number;
  userAgent?: string;
}

/** Keeps one transport (and its keep-alive connections) for the current credential; a new credential replaces it. */
export class TransportCache implements PurgeHttpProvider {
  private current: { credentials: EdgeGridCredentials; transport: EdgeGridTransport; http: PurgeHttp } | undefined;

  constructor(private readonly options: TransportCacheOptions) {}

  forCredentials(credentials: EdgeGridCredentials): PurgeHttp {
    const current = this.current;
    if (current !== undefined && sameCredentials(current.credentials, credentials)) return current.http;
    const transport = new EdgeGridTransport({
      credentials,
      timeoutMs: this.options.timeoutMs,
      ...(this.options.env ? { env: this.options.env } : {}),
      ...(this.options.now ? { now: this.options.now } : {}),
      ...(this.options.userAgent ? { userAgent: this.options.userAgent } : {}),
    });
    current?.transport.close();
    this.current = { credentials, transport, http: purgeHttpFromTransport(transport) };
    return this.current.http;
  }

  close(): void {
    this.current?.transport.close();
    this.current = undefined;
  }
}

function sameCredentials(a: EdgeGridCredentials, b: EdgeGridCredentials): boolean {
  return (
    a.host === b.host && a.clientToken === b.clientToken && a.clientSecret === b.clientSecret && a.accessToken === b.accessToken
  );
}

export interface PurgeSendDeps {
  credentials: CredentialSource;
  http: PurgeHttpProvider;
  buckets: PurgeBuckets;
  /** Uniform in [0, 1): jitter. */
  random: () => number;
  /** Epoch milliseconds, for latency. */
  now: () => number;
  logger: AppLogger;
  metrics: PurgeMetrics;
  backoff?: { baseMs: number; maxMs: number };
}

export type SendBatchOutcome =
  | SendOneResult
  /** No request was made: the credential could not be read, or its host is not allowed. Try again later. */
  | { kind: "credentialUnavailable"; detail: string; requestSent: false };

export interface SendBatchOptions {
  attempt: number;
  maxAttempts: number;
  /** Added to every log line (job id, batch index). */
  context?: Record<string, unknown>;
}

export async function sendBatch(batch: PurgeBatch, options: SendBatchOptions, deps: PurgeSendDeps): Promise<SendBatchOutcome> {
  const context = options.context ?? {};
  const logger: PurgeLogger = {
    info: (message, details) => deps.logger.info(message, { ...context, ...details }),
    warn: (message, details) => deps.logger.warn(message, { ...context, ...details }),
  };

  const once = async (): Promise<SendBatchOutcome> => {
    let http: PurgeHttp;
    try {
      const { credentials } = await deps.credentials.get();
      http = deps.http.forCredentials(credentials);
    } catch (error) {
      // EdgeGridSecretError / EdgeGridHostError messages name the secret and the rule, never a value.
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      deps.logger.error("EdgeGrid credential unavailable; the batch will be tried again later", { ...context, detail });
      return { kind: "credentialUnavailable", detail, requestSent: false };
    }
    const started = deps.now();
    const result = await sendOne(batch, {
      http,
      buckets: deps.buckets,
      random: deps.random,
      attempt: options.attempt,
      maxAttempts: options.maxAttempts,
      logger,
      ...(deps.backoff ? { backoff: deps.backoff } : {}),
    });
    if (result.requestSent) deps.metrics.latency(Math.max(0, deps.now() - started));
    if (result.kind === "retryAfter" && result.cause === "throttled") deps.metrics.throttled();
    return result;
  };

  const first = await once();
  if (first.kind !== "failed" || !first.credentialRejected) return first;

  // A 401 is refused at the gateway and costs no purge tokens; give back what sendOne took.
  deps.buckets.refund(batch.type, batch.objects.length);
  deps.logger.warn("Fast Purge refused the credential (401); reading the secret again and retrying once", {
    ...context,
    detail: first.detail,
  });
  deps.credentials.invalidate();
  const second = await once();
  if (second.kind === "failed" && second.credentialRejected) deps.buckets.refund(batch.type, batch.objects.length);
  return second;
}
