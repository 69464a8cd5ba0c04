import type { GuardRule } from "../rule";
import { changeKind, isRecord } from "../plan";
import { IAM_POLICY_TYPES, policyGrants } from "../iam-policy-document";
import { valueAfter, valueBefore } from "../planned-value";

const ATTACHMENT_TYPES = new Set([
  "aws_iam_role_policy_attachment",
  "aws_iam_user_policy_attachment",
  "aws_iam_group_policy_attachment",
  "aws_iam_policy_attachment",
]);

/**
 * An existing IAM policy allowing actions it did not allow before, or a managed policy newly attached to a
 * role, user or group. New inline policies of new roles are not reported (they come with new resources);
 * wildcards anywhere are iam-policy-wildcard's.
 */
export const iamPolicyActionsAdded: GuardRule = {
  id: "iam-policy-actions-added",
  severity: "warn",
  message: "IAM access would widen: a policy allows new actions or a managed policy is attached.",
  why: "Every new permission deserves a second look even when it is listed explicitly; it only warns.",
  check(change, config) {
    if (change.mode !== "managed") return [];
    const kind = changeKind(change.change.actions);
    if (ATTACHMENT_TYPES.has(change.type)) {
      if (kind !== "create" && kind !== "replace") return [];
      const arn = valueAfter(change, config, ["policy_arn"]);
      const before = valueBefore(change, ["policy_arn"]);
      if (kind === "replace" && arn.source === "plan" && arn.value === before) return [];
      return [`attaches managed policy ${arn.source === "unknown" ? "(known after apply)" : JSON.stringify(arn.value)}`];
    }
    if (!IAM_POLICY_TYPES.has(change.type) || (kind !== "update" && kind !== "replace")) return [];
    const previous = policyGrants(valueBefore(change, ["policy"]));
    if (!previous) return [];
    const after = valueAfter(change, config, ["policy"]);
    if (after.source === "unknown")
      return [
        "the new policy document is known only after apply and is not literal in the configuration, so new actions cannot be ruled out",
      ];
    const grants = policyGrants(after.value);
    if (!grants) return [];
    const added = [...grants.actions].filter(([lower]) => !previous.actions.has(lower)).map(([, action]) => action);
    const role =
      isRecord(change.change.before) && typeof change.change.before.role === "string"
        ? ` (role ${change.change.before.role})`
        : "";
    return added.length > 0 ? [`allows ${added.sort().join(", ")}${role}`] : [];
  },
};
