/**
 * What an IAM policy document grants, for comparing the document before and after a change. Only `Allow`
 * statements widen access; `Deny` statements are ignored here. Actions compare case-insensitively, as IAM
 * does.
 */
import { isRecord } from "./plan";

export interface PolicyGrants {
  /** Allowed actions, lowercased → as written. */
  actions: Map<string, string>;
  /** Wildcard grants, one line each (e.g. `Action "s3:*" on "arn:…"`, `Resource "*" for sqs:SendMessage`). */
  wildcards: Set<string>;
}

/** Resource types whose `policy` attribute is an identity-based IAM policy document. */
export const IAM_POLICY_TYPES = new Set(["aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy"]);

/** Parses a policy document (JSON text or already parsed); undefined when it is not a policy document. */
export function policyGrants(document: unknown): PolicyGrants | undefined {
  let doc = document;
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc);
    } catch {
      return undefined;
    }
  }
  if (!isRecord(doc) || doc.Statement === undefined) return undefined;
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  const grants: PolicyGrants = { actions: new Map(), wildcards: new Set() };
  for (const statement of statements) {
    if (!isRecord(statement) || statement.Effect !== "Allow") continue;
    const actions = list(statement.Action);
    const resources = list(statement.Resource);
    for (const action of actions) grants.actions.set(action.toLowerCase(), action);
    if (statement.NotAction !== undefined)
      grants.wildcards.add(`NotAction ${JSON.stringify(list(statement.NotAction))} (allows every other action)`);
    if (statement.NotResource !== undefined)
      grants.wildcards.add(`NotResource ${JSON.stringify(list(statement.NotResource))} (allows every other resource)`);
    for (const action of actions) {
      for (const resource of resources.length > 0 ? resources : [""]) {
        if (action.includes("*")) grants.wildcards.add(`Action "${action}"${resource ? ` on "${resource}"` : ""}`);
        else if (resource === "*") grants.wildcards.add(`Resource "*" for ${action}`);
      }
    }
  }
  return grants;
}

function list(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
