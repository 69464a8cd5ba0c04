/**
 * Guard rules, on the cdk-nag model: each rule is a small pure function with an id, a severity and a
 * message, kept one per file in rules/. A rule looks at one resource change (and that resource's
 * configuration block, for values Terraform knows only after apply) and says what, if anything, is wrong.
 */
import type { ConfiguredResource, ResourceChange } from "./plan";

/** `block` stops the pipeline (exit 2) until acknowledged with `--allow <id>`; `warn` is reported only. */
export type Severity = "block" | "warn";

export interface GuardRule {
  /** Stable, kebab-case; what `--allow` takes. */
  id: string;
  severity: Severity;
  /** What the finding means for the reader, one sentence. */
  message: string;
  /**
   * The violations in one resource change, one line each naming what changed; empty when the change
   * complies or the rule does not apply. Must not throw on unexpected shapes.
   */
  check(change: ResourceChange, config?: ConfiguredResource): string[];
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  address: string;
  detail: string;
  /** A blocking finding acknowledged with --allow. */
  allowed: boolean;
}
