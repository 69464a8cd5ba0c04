/**
 * The environment's purge policy as the stack passes it to the functions (ENV.purgePolicy, JSON of
 * config's purgePolicy). Read once at cold start; a bad value is a deployment error and says which field.
 */
import { EdgeplaneError } from "../errors";
import {
  cdnRuntimeTargetsSchema,
  describeIssues,
  purgePolicySchema,
  targetKey,
  type CdnRuntimeTarget,
  type PurgePolicyConfig,
} from "../../config/runtime-schema";
import { parseAllowedHostnames } from "../purge/objects";

/** The purge policy a function enforces: config's purgePolicy, parsed with config's own schema. */
export type PurgePolicy = PurgePolicyConfig;

export class PurgePolicyError extends EdgeplaneError {
  override name = "PurgePolicyError";

  constructor(message: string) {
    super(message, "purgePolicy");
  }
}

export function parsePurgePolicy(json: string | undefined, source = "EDGEPLANE_PURGE_POLICY"): PurgePolicy {
  if (json === undefined || json.trim() === "")
    throw new PurgePolicyError(`${source} is not set; the stack sets it to the environment's purge policy`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new PurgePolicyError(`${source} is not valid JSON`);
  }
  const result = purgePolicySchema.safeParse(value);
  if (!result.success) throw new PurgePolicyError(`${source} is invalid: ${describeIssues(result.error.issues)}`);
  // Throws a PurgeInputError naming the bad entry.
  parseAllowedHostnames(result.data.allowedHostnames, `${source}.allowedHostnames`);
  return result.data;
}

/**
 * The CDN targets serving the environment (ENV.cdns, JSON of cdnRuntimeTargetsSchema). Unset or blank: undefined,
 * Akamai alone, exactly as before. A bad value is a deployment error that names the field.
 */
export function parseCdnTargets(json: string | undefined, source = "EDGEPLANE_CDNS"): CdnRuntimeTarget[] | undefined {
  if (json === undefined || json.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new PurgePolicyError(`${source} is not valid JSON`);
  }
  const result = cdnRuntimeTargetsSchema.safeParse(value);
  if (!result.success) throw new PurgePolicyError(`${source} is invalid: ${describeIssues(result.error.issues)}`);
  if (result.data.length === 0) throw new PurgePolicyError(`${source} lists no CDN target; leave it unset for Akamai alone`);
  const keys = result.data.map(targetKey);
  const repeated = keys.find((key, i) => keys.indexOf(key) !== i);
  if (repeated !== undefined) throw new PurgePolicyError(`${source} lists the CDN target ${repeated} twice`);
  for (const [i, target] of result.data.entries()) parseAllowedHostnames(target.hostnames, `${source}[${i}].hostnames`);
  return result.data;
}
