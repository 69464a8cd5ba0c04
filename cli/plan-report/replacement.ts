/** Why Terraform replaces a resource: the attributes that force it, with their old and new values (masked). */
import type { ResourceChange } from "./plan";
import { displayAt, formatPath } from "./values";

export interface ReplacementCause {
  path: string;
  before: string;
  after: string;
}

export function replacementCauses(change: ResourceChange): ReplacementCause[] {
  const c = change.change;
  return (c.replace_paths ?? []).map((path) => ({
    path: formatPath(path),
    before: displayAt(c.before, c.before_sensitive, undefined, path),
    after: displayAt(c.after, c.after_sensitive, c.after_unknown, path),
  }));
}

/** `: forced by name ("a" → "b")`, or the action reason when Terraform gives no paths; "" when neither. */
export function replaceReason(change: ResourceChange): string {
  const causes = replacementCauses(change);
  if (causes.length > 0) return `: forced by ${causes.map((c) => `${c.path} (${c.before} → ${c.after})`).join(", ")}`;
  return change.action_reason ? ` (${change.action_reason})` : "";
}
