/** The machine-readable summary (`--json`): never truncated, never holds attribute values. */
import type { StackReport } from "./evaluate";
import { unacknowledgedBlocks } from "./evaluate";
import type { ChangeCounts } from "./plan";
import { changeKind, terraformSummary } from "./plan";
import { replacementCauses } from "./replacement";
import type { Finding } from "./rule";

export interface PlanReportSummary {
  /** Some blocking finding is not acknowledged: the command exits 2. */
  blocked: boolean;
  exitCode: number;
  /** Rule ids given with --allow. */
  allowed: string[];
  /** Whether the Markdown was cut to fit its budget. */
  truncated: boolean;
  stacks: Array<{
    stack: string;
    source: string;
    counts: ChangeCounts;
    terraform: string;
    blocked: boolean;
    findings: Finding[];
    destroyed: string[];
    replaced: Array<{ address: string; forcedBy: string[] }>;
  }>;
}

export function summarize(
  reports: readonly StackReport[],
  allowed: readonly string[],
  truncated: boolean,
  exitCode: number,
): PlanReportSummary {
  return {
    blocked: reports.some((r) => unacknowledgedBlocks(r).length > 0),
    exitCode,
    allowed: [...allowed],
    truncated,
    stacks: reports.map((r) => ({
      stack: r.stack,
      source: r.source,
      counts: r.counts,
      terraform: terraformSummary(r.counts),
      blocked: unacknowledgedBlocks(r).length > 0,
      findings: r.findings,
      destroyed: r.changes.filter((rc) => changeKind(rc.change.actions) === "delete").map((rc) => rc.address),
      replaced: r.changes
        .filter((rc) => changeKind(rc.change.actions) === "replace")
        .map((rc) => ({ address: rc.address, forcedBy: replacementCauses(rc).map((c) => c.path) })),
    })),
  };
}
