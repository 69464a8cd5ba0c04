/**
 * Which of the listed tokens belong to a declared token (by name: `<namePrefix>-<YYYYMMDD>[-n]`), and
 * what each is now:
 * - usable: a legacy token before the end of its expiry day (UTC), or an enhanced token whose
 *   tokenActivationStatus is COMPLETE (or not reported);
 * - pending: an enhanced token still IN_PROGRESS (bundles may not reference it yet);
 * - failed: an enhanced token whose activation ended in ERROR (never usable);
 * - expired: a legacy token past its expiry (the list shows those for 30 days with includeExpired).
 *
 * The current token of a prefix is its newest usable one; usable or pending tokens older than it are
 * superseded (candidates for revocation once nothing uses them); pending tokens newer than it are
 * waiting to become current.
 */
import { edgeKvTokenKind, type EdgeKvTokenSummary } from "../akamai/edgekv-tokens";
import { compareNewestFirst, parseTokenName } from "./names";

const DAY_MS = 86_400_000;

export type TokenState = "usable" | "pending" | "failed" | "expired";

/** When a legacy token stops working: the end of its expiry day, UTC. Infinity for enhanced tokens. */
export function tokenExpiresAtMs(token: Pick<EdgeKvTokenSummary, "expiry" | "tokenActivationStatus">): number {
  if (edgeKvTokenKind(token) === "enhanced") return Number.POSITIVE_INFINITY;
  const start = Date.parse(`${token.expiry}T00:00:00Z`);
  return Number.isNaN(start) ? 0 : start + DAY_MS;
}

export function tokenState(token: Pick<EdgeKvTokenSummary, "expiry" | "tokenActivationStatus">, nowMs: number): TokenState {
  if (edgeKvTokenKind(token) === "legacy") return tokenExpiresAtMs(token) <= nowMs ? "expired" : "usable";
  const status = token.tokenActivationStatus;
  if (status === undefined || status === "COMPLETE") return "usable";
  if (status === "ERROR") return "failed";
  return "pending";
}

export interface PrefixTokens {
  prefix: string;
  /** Every listed token of the prefix, newest first. */
  all: EdgeKvTokenSummary[];
  current?: EdgeKvTokenSummary;
  /** Pending tokens newer than the current one (or all pending ones when there is no current), newest first. */
  pendingNewer: EdgeKvTokenSummary[];
  /** Usable or pending tokens older than the current one, newest first. */
  superseded: EdgeKvTokenSummary[];
  failed: EdgeKvTokenSummary[];
  expired: EdgeKvTokenSummary[];
}

/** Sorts out the listed tokens of one prefix (see the module comment). */
export function prefixTokens(prefix: string, listed: readonly EdgeKvTokenSummary[], nowMs: number): PrefixTokens {
  const all = listed.filter((t) => parseTokenName(prefix, t.name) !== undefined).sort(compareNewestFirst(prefix));
  const result: PrefixTokens = { prefix, all, pendingNewer: [], superseded: [], failed: [], expired: [] };
  for (const token of all) {
    const state = tokenState(token, nowMs);
    if (state === "failed") result.failed.push(token);
    else if (state === "expired") result.expired.push(token);
    else if (result.current !== undefined) result.superseded.push(token);
    else if (state === "usable") result.current = token;
    else result.pendingNewer.push(token);
  }
  return result;
}
