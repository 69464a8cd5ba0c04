/** One stack's plan, read: what changes, how many, and what the guard rules find. */
import type { ChangeCounts, ResourceChange, TerraformPlan } from "./plan";
import { changeKind, configAddress, configuredResources, countChanges } from "./plan";
import type { Finding, GuardRule } from "./rule";

export interface StackReport {
  stack: string;
  source: string;
  terraformVersion?: string;
  /** The plan errored: Terraform could not plan everything, so the list may be incomplete. */
  errored: boolean;
  counts: ChangeCounts;
  /** Managed-resource changes other than no-op, in plan order. */
  changes: ResourceChange[];
  findings: Finding[];
}

export function evaluatePlan(
  stack: string,
  source: string,
  plan: TerraformPlan,
  rules: readonly GuardRule[],
  allow: ReadonlySet<string>,
): StackReport {
  const all = plan.resource_changes ?? [];
  const changes = all.filter(
    (rc) => rc.mode !== "data" && (changeKind(rc.change.actions) !== "no-op" || rc.change.importing || rc.previous_address),
  );
  const configs = configuredResources(plan);
  const findings: Finding[] = [];
  for (const rule of rules) {
    for (const rc of changes) {
      let details: string[];
      try {
        details = rule.check(rc, configs.get(configAddress(rc.address)));
      } catch (error) {
        // A rule that cannot read a change must not let it through unseen.
        details = [`the rule could not check this change (${(error as Error).message})`];
      }
      for (const detail of details) {
        findings.push({
          ruleId: rule.id,
          severity: rule.severity,
          message: rule.message,
          why: rule.why,
          address: rc.address,
          detail,
          allowed: rule.severity === "block" && allow.has(rule.id),
        });
      }
    }
  }
  const report: StackReport = { stack, source, errored: plan.errored === true, counts: countChanges(all), changes, findings };
  if (plan.terraform_version) report.terraformVersion = plan.terraform_version;
  return report;
}

/** Blocking findings nobody acknowledged: any of them makes plan-report exit 2. */
export function unacknowledgedBlocks(report: StackReport): Finding[] {
  return report.findings.filter((f) => f.severity === "block" && !f.allowed);
}
