/**
 * The environment's purge policy as the stack passes it to the functions (ENV.purgePolicy, JSON of
 * config's purgePolicy). Read once at cold start; a bad value is a deployment error and says which field.
 */
import { EdgeplaneError } from "../errors";
import { z } from "zod";
import { PURGE_ACTIONS, PURGE_NETWORKS, parseAllowedHostnames, type PurgeAction, type PurgeNetwork } from "../purge/objects";

export interface PurgePolicy {
  allowedHostnames: string[];
  allowedNetworks: PurgeNetwork[];
  defaultAction: PurgeAction;
  /** Objects accepted in one POST /purge. */
  maxObjectsPerRequest: number;
  /** Bytes accepted in one POST /purge body. */
  maxRequestBytes: number;
}

const policySchema = z.strictObject({
  allowedHostnames: z.array(z.string()),
  allowedNetworks: z.array(z.enum(PURGE_NETWORKS)).min(1),
  defaultAction: z.enum(PURGE_ACTIONS),
  maxObjectsPerRequest: z.number().int().positive(),
  maxRequestBytes: z.number().int().positive(),
});

export class PurgePolicyError extends EdgeplaneError {
  override name = "PurgePolicyError";

  constructor(message: string) {
    super(message, "purgePolicy");
  }
}

export function parsePurgePolicy(json: string | undefined, source = "EDGEPLANE_PURGE_POLICY"): PurgePolicy {
  if (json === undefined || json.trim() === "") throw new PurgePolicyError(`${source} is not set; the stack sets it to the environment's purge policy`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new PurgePolicyError(`${source} is not valid JSON`);
  }
  const result = policySchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new PurgePolicyError(`${source} is invalid: ${problems.join("; ")}`);
  }
  // Throws a PurgeInputError naming the bad entry.
  parseAllowedHostnames(result.data.allowedHostnames, `${source}.allowedHostnames`);
  return result.data;
}
