/**
 * Powertools Logger and Metrics, set up once for every handler. The service name comes from
 * POWERTOOLS_SERVICE_NAME and the namespace from POWERTOOLS_METRICS_NAMESPACE (the stack sets both);
 * every metric carries the environment as a dimension.
 *
 * Nothing logged or measured may carry a secret: callers log ids, counts, statuses and Akamai's
 * `detail`/`supportId`, never credentials, signatures or request headers.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { ENV, METRICS_NAMESPACE } from "../../core/environment-names";
import type { AppLogger, PurgeMetrics } from "../../core/observability";

const environment = process.env[ENV.environmentName] ?? "unknown";
const serviceName = process.env[ENV.serviceName] ?? "edgeplane";

export const logger = new Logger({ serviceName, persistentKeys: { environment } });

export const metrics = new Metrics({
  namespace: process.env[ENV.metricsNamespace] ?? METRICS_NAMESPACE,
  serviceName,
  defaultDimensions: { environment },
});

/** The shared Logger as an AppLogger. */
export const appLogger: AppLogger = {
  info: (message, details) => (details ? logger.info(message, details) : logger.info(message)),
  warn: (message, details) => (details ? logger.warn(message, details) : logger.warn(message)),
  error: (message, details) => (details ? logger.error(message, details) : logger.error(message)),
};

export const PURGE_METRICS = {
  objectsPurged: "PurgedObjects",
  throttled: "FastPurgeThrottled",
  latency: "FastPurgeLatency",
} as const;

export function powertoolsPurgeMetrics(target: Metrics = metrics): PurgeMetrics {
  return {
    objectsPurged: (count) => void target.addMetric(PURGE_METRICS.objectsPurged, MetricUnit.Count, count),
    throttled: () => void target.addMetric(PURGE_METRICS.throttled, MetricUnit.Count, 1),
    latency: (ms) => void target.addMetric(PURGE_METRICS.latency, MetricUnit.Milliseconds, ms),
  };
}

/** Writes the stored metrics (EMF on stdout); call at the end of every invocation. Quiet when there are none. */
export function flushMetrics(target: Metrics = metrics): void {
  if (target.hasStoredMetrics()) target.publishStoredMetrics();
}
