import type { GuardRule } from "../rule";
import { changeKind, isRecord } from "../plan";
import { parseJsonString, valueAfter, valueBefore } from "../planned-value";
import { ENV } from "../../../core/environment-names";

/** The environment variable that carries the purge policy (JSON) to the purge Lambdas. */
const PURGE_POLICY_VARIABLE = ENV.purgePolicy;
const PATH = ["environment", 0, "variables", PURGE_POLICY_VARIABLE] as const;

/**
 * Purging on the production network allowed where it was not before: a function's purge policy gaining
 * "production" in allowedNetworks (a new function allowing it counts too). Production purges hit the
 * origin at full traffic, so the first one an environment may make is reviewed explicitly.
 */
export const productionPurgeAllowed: GuardRule = {
  id: "production-purge-allowed",
  severity: "block",
  message: "Purging on the production network would become allowed for this environment's purge service.",
  why: "Purging production empties real caches and loads the origins; an environment gains that power only through a reviewed change.",
  check(change, config) {
    if (change.type !== "aws_lambda_function" || change.mode !== "managed") return [];
    const kind = changeKind(change.change.actions);
    if (kind !== "create" && kind !== "update" && kind !== "replace") return [];
    const wasAllowed = allowsProduction(parseJsonString(valueBefore(change, PATH)));
    if (wasAllowed) return [];
    const after = valueAfter(change, config, PATH);
    if (after.source === "unknown") {
      // Only a function that had a purge policy (or is configured with one) can gain production.
      const hadPolicy = valueBefore(change, PATH) !== undefined;
      return hadPolicy
        ? [
            `${PURGE_POLICY_VARIABLE} is known only after apply and is not literal in the configuration, so production cannot be ruled out`,
          ]
        : [];
    }
    if (!allowsProduction(parseJsonString(after.value))) return [];
    const name =
      isRecord(change.change.after) && typeof change.change.after.function_name === "string"
        ? `function "${change.change.after.function_name}"`
        : "the function";
    return [`${name} may now purge production (allowedNetworks ${JSON.stringify(networks(parseJsonString(after.value)))})`];
  },
};

function networks(policy: unknown): unknown {
  return isRecord(policy) ? policy.allowedNetworks : undefined;
}

function allowsProduction(policy: unknown): boolean {
  const allowed = networks(policy);
  return Array.isArray(allowed) && allowed.includes("production");
}
