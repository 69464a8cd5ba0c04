/**
 * Guard rules, on the cdk-nag model: each rule is a small pure function with an id, a severity and a
 * message and a short "why", kept one per file in rules/. A rule looks at one resource change (and that resource's
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
  /** Why the rule exists, one short sentence: shown under each finding and by `--list-rules`. */
  why: string;
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
  why: string;
  address: string;
  detail: string;
  /** A blocking finding acknowledged with --allow. */
  allowed: boolean;
}
