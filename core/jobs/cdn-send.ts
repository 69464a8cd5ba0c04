/**
 * One try for one batch of a CDN other than Akamai (Fastly, Cloudflare, CloudFront), for the purge worker:
 * the target's provider with its token (read from the target's secret, cached), then core/cdn/runner.ts
 * sendStep: build → transport → classify, paced by the provider's own rate model kept per target for the life
 * of the container. Never sleeps: a wait comes back as a retry the worker turns into the message's visibility.
 *
 * When the CDN refuses the token (credentialRejected) the cached token may be one just replaced, so the cache
 * is dropped, the secret read again and the batch sent once more; a second refusal is final.
 */
import { targetKey, type CdnRuntimeTarget } from "../../config/runtime-schema";
import { sendStep, type StepResult } from "../cdn/runner";
import type { CdnPacer, CdnProvider, CdnTransport } from "../cdn/types";
import type { AppLogger } from "../observability";
import type { CdnBatchMessage } from "./message";

export type NonAkamaiTarget = Exclude<CdnRuntimeTarget, { cdn: "akamai" }>;

export interface CdnConnection {
  provider: CdnProvider;
  transport: CdnTransport;
}

export interface CdnSendDeps {
  /** The environment's CDN targets (EDGEPLANE_CDNS). */
  targets: readonly CdnRuntimeTarget[];
  /**
   * The target's provider (with its token) and transport. Throws when the token cannot be read (the error names
   * the secret, never a value); the batch is then tried again later, as a failed attempt.
   */
  connect(target: NonAkamaiTarget): Promise<CdnConnection>;
  /** Drops the target's cached token, so the next connect reads the secret again. */
  forget(target: NonAkamaiTarget): void;
  now: () => number;
  random: () => number;
  logger: AppLogger;
}

export type CdnSendOutcome =
  | StepResult
  /** No request was made: the token could not be read. */
  | { kind: "credentialUnavailable"; detail: string; requestSent: false }
  /** The message names a target the environment does not have (any more): final. */
  | { kind: "unknownTarget"; detail: string };

export interface CdnSendOptions {
  attempt: number;
  maxAttempts: number;
  throttledInARow?: number;
  context?: Record<string, unknown>;
}

/** Pacers per target, kept across messages (and invocations) of one worker container. */
const pacers = new WeakMap<CdnSendDeps, Map<string, CdnPacer>>();

export async function sendCdnBatch(
  message: CdnBatchMessage,
  options: CdnSendOptions,
  deps: CdnSendDeps,
): Promise<CdnSendOutcome> {
  const target = deps.targets.find((candidate) => targetKey(candidate) === message.target);
  if (target === undefined || target.cdn === "akamai" || target.cdn !== message.request.cdn) {
    return {
      kind: "unknownTarget",
      detail:
        `the batch is for ${message.target} (${message.request.cdn}), which is not a CDN target of this environment ` +
        `(targets: ${deps.targets.map(targetKey).join(", ") || "none"})`,
    };
  }
  const context = options.context ?? {};
  const logger = {
    info: (text: string, details?: Record<string, unknown>) => deps.logger.info(text, { ...context, ...details }),
    warn: (text: string, details?: Record<string, unknown>) => deps.logger.warn(text, { ...context, ...details }),
  };

  const once = async (): Promise<CdnSendOutcome> => {
    let connection: CdnConnection;
    try {
      connection = await deps.connect(target);
    } catch (error) {
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      deps.logger.error("CDN token unavailable; the batch will be tried again later", {
        ...context,
        target: message.target,
        detail,
      });
      return { kind: "credentialUnavailable", detail, requestSent: false };
    }
    return sendStep(connection.provider, message.request, {
      transport: connection.transport,
      pacer: pacerFor(deps, message.target, connection.provider),
      now: deps.now,
      random: deps.random,
      attempt: options.attempt,
      maxAttempts: options.maxAttempts,
      throttledInARow: options.throttledInARow ?? 0,
      logger,
    });
  };

  const first = await once();
  if (first.kind !== "failed" || first.reason !== "credentialRejected" || target.cdn === "cloudfront") return first;
  deps.logger.warn("the CDN refused the token; reading its secret again and retrying once", {
    ...context,
    target: message.target,
    detail: first.detail,
  });
  deps.forget(target);
  return once();
}

function pacerFor(deps: CdnSendDeps, key: string, provider: CdnProvider): CdnPacer {
  let byTarget = pacers.get(deps);
  if (byTarget === undefined) {
    byTarget = new Map();
    pacers.set(deps, byTarget);
  }
  let pacer = byTarget.get(key);
  if (pacer === undefined) {
    pacer = provider.createPacer(deps.now);
    byTarget.set(key, pacer);
  }
  return pacer;
}
