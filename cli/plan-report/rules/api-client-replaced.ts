import type { GuardRule } from "../rule";
import { changeKind, isRecord } from "../plan";
import { replaceReason } from "../replacement";

/**
 * The Akamai API client replaced or destroyed: its client_id and credentials change or disappear, so
 * every secret holding them (bootstrap and rotating) stops working until rotation catches up.
 */
export const apiClientReplaced: GuardRule = {
  id: "api-client-replaced",
  severity: "block",
  message:
    "The Akamai API client would be deleted or replaced: its credentials stop working and the runtime cannot purge until new ones are in place.",
  why: "The purge worker, rotation and token reconcile all sign with this client's credential; a new client starts without it in the rotating secret, so they fail until it is re-seeded.",
  check(change) {
    if (change.type !== "akamai_iam_api_client" || change.mode !== "managed") return [];
    const kind = changeKind(change.change.actions);
    if (kind !== "delete" && kind !== "replace") return [];
    const before = isRecord(change.change.before) ? change.change.before : {};
    const name = typeof before.client_name === "string" ? `API client "${before.client_name}"` : "the API client";
    return [
      kind === "delete" ? `${name} is destroyed` : `${name} is replaced (new client_id and credential)${replaceReason(change)}`,
    ];
  },
};
