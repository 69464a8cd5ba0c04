import type { GuardRule } from "../rule";
import { changeKind, isRecord } from "../plan";
import { replaceReason } from "../replacement";

/** An EdgeKV namespace destroyed or replaced: every item in it is gone, including those the runtime wrote. */
export const edgekvNamespaceDestroyed: GuardRule = {
  id: "edgekv-namespace-destroyed",
  severity: "block",
  message: "An EdgeKV namespace would be deleted: all of its data is lost (Terraform cannot restore it).",
  why: "EdgeWorkers read their data from the namespace at the edge, and that data (including what the runtime wrote) lives only in Akamai: a destroy is an outage with no undo.",
  check(change) {
    if (change.type !== "akamai_edgekv" || change.mode !== "managed") return [];
    const kind = changeKind(change.change.actions);
    if (kind !== "delete" && kind !== "replace") return [];
    const before = isRecord(change.change.before) ? change.change.before : {};
    const name = typeof before.namespace_name === "string" ? `namespace "${before.namespace_name}"` : "the namespace";
    const network = typeof before.network === "string" ? ` on ${before.network}` : "";
    return [
      kind === "delete"
        ? `${name}${network} is destroyed`
        : `${name}${network} is replaced (deleted, then created empty)${replaceReason(change)}`,
    ];
  },
};
