/**
 * The tokens an environment declares, as the stack hands them to the function: JSON in
 * EDGEPLANE_EDGEKV_TOKENS, parsed with config's own token schema (config/runtime-schema.ts). Checked again
 * here, because a hand-edited variable must fail with the field named rather than half-work.
 */
import * as z from "zod/mini";
import { describeIssues, edgeKvTokenSchema, type EdgeKvTokenConfig } from "../../config/runtime-schema";
import type { CreateEdgeKvTokenRequest, EdgeKvPermission } from "../akamai/edgekv-tokens";

const declaredListSchema = z.array(edgeKvTokenSchema, { error: "must be a list" });

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
  if (!result.success) throw new DeclaredTokensError(`${source} is invalid: ${describeIssues(result.error.issues, "(list)")}`);
  const prefixes = result.data.map((t) => t.namePrefix);
  const duplicate = prefixes.find((p, i) => prefixes.indexOf(p) !== i);
  if (duplicate !== undefined) throw new DeclaredTokensError(`${source}: namePrefix "${duplicate}" is declared twice`);
  return result.data;
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
