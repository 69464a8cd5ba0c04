/**
 * The tokens an environment declares (config/schema.ts EdgeKvTokenConfig), as the stack hands them to
 * the function: JSON in EDGEPLANE_EDGEKV_TOKENS. Checked again here, because a hand-edited variable
 * must fail with the field named rather than half-work.
 */
import * as z from "zod/mini";
import type { EdgeKvTokenConfig } from "../../config/schema";
import type { CreateEdgeKvTokenRequest, EdgeKvPermission } from "../akamai/edgekv-tokens";

// zod/mini carries no message locale: each check says what is allowed itself.
const positiveInt = z.int({ error: "must be a whole number" }).check(z.positive("must be a positive whole number"));
const flag = z.boolean({ error: "must be true or false" });
const declaredTokenSchema = z.strictObject({
  namePrefix: z.string({ error: "must be a string" }).check(z.regex(/^[A-Za-z0-9_-]{1,20}$/, "must be 1-20 characters of A-Z a-z 0-9 _ -")),
  namespacePermissions: z.record(
    z.string(),
    z
      .array(z.enum(["r", "w", "d"], { error: 'must be "r", "w" or "d"' }), { error: "must be a list of permissions" })
      .check(z.minLength(1, "must list 1-3 permissions"), z.maxLength(3, "must list 1-3 permissions")),
    { error: 'must be an object like {"namespace": ["r"]}' },
  ),
  allowOnStaging: flag,
  allowOnProduction: flag,
  edgeWorkerIds: z.array(positiveInt, { error: "must be a list of EdgeWorker ids" }).check(z.maxLength(8, "must hold at most 8 EdgeWorker ids")),
  deployTo: z.optional(
    z.strictObject({ edgeWorkerId: positiveInt, activateOnProduction: flag }, { error: "must be {edgeWorkerId, activateOnProduction}" }),
  ),
}, { error: "must be an object" });
const declaredListSchema = z.array(declaredTokenSchema, { error: "must be a list" });

export class DeclaredTokensError extends Error {
  override name = "DeclaredTokensError";
}

/** Parses and checks the JSON list; the error names the variable, the index and the field. */
export function parseDeclaredTokens(json: string, source = "EDGEPLANE_EDGEKV_TOKENS"): EdgeKvTokenConfig[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new DeclaredTokensError(`${source} is not JSON`);
  }
  const result = declaredListSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 10).map((issue) => {
      const message = issue.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.join(", ")}` : issue.message;
      return `${issue.path.join(".") || "(list)"}: ${message}`;
    });
    throw new DeclaredTokensError(`${source} is invalid: ${problems.join("; ")}`);
  }
  const prefixes = result.data.map((t) => t.namePrefix);
  const duplicate = prefixes.find((p, i) => prefixes.indexOf(p) !== i);
  if (duplicate !== undefined) throw new DeclaredTokensError(`${source}: namePrefix "${duplicate}" is declared twice`);
  return result.data as EdgeKvTokenConfig[];
}

/** The create request for a declared token under `name`. `expiry` matters only if Akamai makes a legacy token. */
export function createRequestFor(declared: EdgeKvTokenConfig, name: string, expiry?: string): CreateEdgeKvTokenRequest {
  return {
    name,
    allowOnStaging: declared.allowOnStaging,
    allowOnProduction: declared.allowOnProduction,
    namespacePermissions: Object.fromEntries(
      Object.entries(declared.namespacePermissions).map(([ns, permissions]) => [ns, [...permissions] as EdgeKvPermission[]]),
    ),
    ...(declared.edgeWorkerIds.length > 0 ? { restrictToEdgeWorkerIds: declared.edgeWorkerIds.map(String) } : {}),
    ...(expiry !== undefined ? { expiry } : {}),
  };
}

/** The namespaces a declared token's file entries cover, sorted. */
export function declaredNamespaces(declared: EdgeKvTokenConfig): string[] {
  return Object.keys(declared.namespacePermissions).sort();
}
