import type { GuardRule } from "../rule";
import { changeKind } from "../plan";
import { IAM_POLICY_TYPES, policyGrants } from "../iam-policy-document";
import { valueAfter, valueBefore } from "../planned-value";

/**
 * An IAM policy gaining a wildcard: an action pattern (`s3:*`, `*`), `Resource: "*"`, `NotAction` or
 * `NotResource` in an Allow statement that the policy did not have before. Also for new policies: the
 * project's policies list actions one by one on named ARNs (constructs/aws/iam-policy.ts).
 */
export const iamPolicyWildcard: GuardRule = {
  id: "iam-policy-wildcard",
  severity: "block",
  message:
    'An IAM policy would gain a wildcard (action pattern, Resource "*", NotAction or NotResource): access no one listed explicitly.',
  why: "edgeplane grants listed actions on pinned ARNs only (least privilege); a wildcard also grants whatever AWS adds later.",
  check(change, config) {
    if (!IAM_POLICY_TYPES.has(change.type) || change.mode !== "managed") return [];
    const kind = changeKind(change.change.actions);
    if (kind !== "create" && kind !== "update" && kind !== "replace") return [];
    const after = valueAfter(change, config, ["policy"]);
    if (after.source === "unknown")
      return [
        "the new policy document is known only after apply and is not literal in the configuration, so it cannot be checked",
      ];
    const grants = policyGrants(after.value);
    if (!grants) return [];
    const previous = kind === "create" ? undefined : policyGrants(valueBefore(change, ["policy"]));
    const added = [...grants.wildcards].filter((w) => !previous?.wildcards.has(w));
    return added.map((w) => `gains ${w}`);
  },
};
