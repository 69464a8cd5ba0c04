/**
 * The token job's metrics, as CloudWatch embedded metric format (EMF) lines:
 *
 * - EdgeKvTokenDaysToExpiry, per legacy token the networks serve (reconcile.ts step 6), under two
 *   dimension sets: {environment} — what the stack's expiry alarm reads (statistic Minimum, so the live
 *   token closest to expiry decides) — and {environment, token} to see each token on its own;
 * - EdgeKvTokenRotationStalled, once per run under {environment}: how many EdgeWorker activations ran
 *   out of tries (deploy.ts); the rotation-stalled alarm fires on 1 or more;
 * - CdnTokenDaysToExpiry, per CDN token that reports an expiry (core/cdn/token-expiry.ts), under
 *   {environment, cdn}: the per-CDN expiry alarm reads its Minimum.
 *
 * Written here rather than through Powertools Metrics because Powertools always adds a "service"
 * dimension, and a metric with {service, environment} is a different metric from the {environment} one
 * the alarms watch. Token names are not secrets; values never appear.
 */
import type { TokenCdn } from "../cdn/token-expiry";
import { CDN_TOKEN_DAYS_TO_EXPIRY_METRIC, METRICS_NAMESPACE, TOKEN_DAYS_TO_EXPIRY_METRIC } from "../environment-names";

export const TOKEN_ROTATION_STALLED_METRIC = "EdgeKvTokenRotationStalled";

/**
 * The expiry alarm's threshold for a rotation threshold: a healthy rotation starts at `rotationThresholdDays`
 * left and may take a few scheduled runs (slow activations, failed tries with backoff) while the old token
 * is still the live one, so the alarm waits up to a week longer — but never past half the threshold.
 * 30 → 23, 10 → 5, 1 → 1.
 */
export function expiryAlarmThresholdDays(rotationThresholdDays: number): number {
  return Math.max(1, Math.ceil(rotationThresholdDays / 2), rotationThresholdDays - 7);
}

export interface TokenMetrics {
  /** Whole days until the token stops working (0 = its last day). */
  daysToExpiry(tokenName: string, days: number): void;
  /** Activations whose tries ran out in this run (0 when none). */
  rotationStalled(count: number): void;
}

export interface CdnTokenMetrics {
  /** Whole days until a CDN token expires (0 = under a day, negative = expired). */
  cdnDaysToExpiry(cdn: TokenCdn, days: number): void;
}

/**
 * The CDN token alarm's default threshold: CDN tokens are replaced by a person (edgeplane secrets set), not rotated
 * by the job, so the alarm leaves two weeks to do it.
 */
export const CDN_TOKEN_EXPIRY_ALARM_DAYS = 14;

export function emfTokenMetrics(options: {
  environment: string;
  namespace?: string;
  write?: (line: string) => void;
  now?: () => number;
}): TokenMetrics & CdnTokenMetrics {
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const now = options.now ?? Date.now;
  const emit = (metric: string, dimensions: string[][], fields: Record<string, string>, value: number): void => {
    const document = {
      _aws: {
        Timestamp: now(),
        CloudWatchMetrics: [
          {
            Namespace: options.namespace ?? METRICS_NAMESPACE,
            Dimensions: dimensions,
            Metrics: [{ Name: metric, Unit: "Count" }],
          },
        ],
      },
      environment: options.environment,
      ...fields,
      [metric]: value,
    };
    write(`${JSON.stringify(document)}\n`);
  };
  return {
    daysToExpiry: (tokenName, days) =>
      emit(TOKEN_DAYS_TO_EXPIRY_METRIC, [["environment"], ["environment", "token"]], { token: tokenName }, days),
    rotationStalled: (count) => emit(TOKEN_ROTATION_STALLED_METRIC, [["environment"]], {}, count),
    cdnDaysToExpiry: (cdn, days) => emit(CDN_TOKEN_DAYS_TO_EXPIRY_METRIC, [["environment", "cdn"]], { cdn }, days),
  };
}
