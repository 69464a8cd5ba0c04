/** The reconcile's settings from the function's environment (constructs/aws/edgekv-token-manager.ts sets them). */
import { type CdnTokenDeclaration, parseCdnTokenDeclarations } from "../cdn/token-expiry";
import { ENV, requiredEnv } from "../environment-names";
import { parseDeclaredTokens } from "./declared";
import type { ReconcileSettings } from "./reconcile";

/** Time kept back from the Lambda's remaining time for publishing results and metrics. */
export const LAMBDA_MARGIN_MS = 30_000;

export function reconcileSettingsFromEnv(env: Record<string, string | undefined>, remainingMs?: number): ReconcileSettings {
  const thresholdText = requiredEnv(ENV.tokenExpiryThresholdDays, env);
  const threshold = Number(thresholdText);
  if (!/^\d+$/.test(thresholdText) || threshold < 1 || threshold > 180) {
    throw new Error(`${ENV.tokenExpiryThresholdDays} must be a whole number of days from 1 to 180`);
  }
  return {
    declared: parseDeclaredTokens(requiredEnv(ENV.edgekvTokens, env), ENV.edgekvTokens),
    expiryThresholdDays: threshold,
    ...(remainingMs !== undefined ? { budgetMs: Math.max(0, remainingMs - LAMBDA_MARGIN_MS) } : {}),
  };
}

/** The CDN tokens the job watches (EDGEPLANE_CDN_TOKENS, optional: absent or empty = none). */
export function cdnTokensFromEnv(env: Record<string, string | undefined>): CdnTokenDeclaration[] {
  const text = env[ENV.cdnTokens];
  if (text === undefined || text.trim() === "") return [];
  return parseCdnTokenDeclarations(text, ENV.cdnTokens);
}
