/**
 * The days-to-expiry metric of legacy EdgeKV tokens, as CloudWatch embedded metric format (EMF) lines.
 *
 * Each value is published under two dimension sets: {environment} — what the stack's alarm reads
 * (statistic Minimum, so the token closest to expiry decides) — and {environment, token} to see each
 * token on its own. Written here rather than through Powertools Metrics because Powertools always adds
 * a "service" dimension, and a metric with {service, environment} is a different metric from the
 * {environment} one the alarm watches. Token names are not secrets; values never appear.
 */
import { METRICS_NAMESPACE, TOKEN_DAYS_TO_EXPIRY_METRIC } from "../environment-names";

export interface TokenMetrics {
  /** Whole days until the token stops working (0 = its last day). */
  daysToExpiry(tokenName: string, days: number): void;
}

export function emfTokenMetrics(options: {
  environment: string;
  namespace?: string;
  write?: (line: string) => void;
  now?: () => number;
}): TokenMetrics {
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const now = options.now ?? Date.now;
  return {
    daysToExpiry: (tokenName, days) => {
      const document = {
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [
            {
              Namespace: options.namespace ?? METRICS_NAMESPACE,
              Dimensions: [["environment"], ["environment", "token"]],
              Metrics: [{ Name: TOKEN_DAYS_TO_EXPIRY_METRIC, Unit: "Count" }],
            },
          ],
        },
        environment: options.environment,
        token: tokenName,
        [TOKEN_DAYS_TO_EXPIRY_METRIC]: days,
      };
      write(`${JSON.stringify(document)}\n`);
    },
  };
}
