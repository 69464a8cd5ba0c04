/**
 * Injected faults for the next N requests whose path starts with a prefix.
 *
 * What each fault does to the request (processing = verification + the API handler):
 * - delayMs: waits, then carries on; if the client has gone away meanwhile, the request is not processed.
 * - dropConnection: closes the connection without an answer; not processed.
 * - status: answers with that status and a problem body; not processed (no tokens, nothing recorded).
 * - malformedJson: processed normally (a purge may be accepted and recorded), but the JSON body of
 *   the answer is cut short, as a corrupted response would be.
 * Fields combine: e.g. {delayMs: 100, status: 503} is a slow 503.
 */

export interface FaultRule {
  /** Default "": every path. */
  pathPrefix?: string;
  /** How many matching requests this rule applies to; default 1. */
  times?: number;
  status?: number;
  delayMs?: number;
  dropConnection?: boolean;
  malformedJson?: boolean;
}

export type Fault = Omit<FaultRule, "pathPrefix" | "times">;

export class FaultQueue {
  private rules: Array<FaultRule & { remaining: number }> = [];

  /** Replaces all pending rules. */
  set(rules: readonly FaultRule[]): void {
    for (const rule of rules) {
      if (rule.status !== undefined && (!Number.isInteger(rule.status) || rule.status < 100 || rule.status > 599)) {
        throw new RangeError("fault status must be an HTTP status code (100-599)");
      }
    }
    this.rules = rules.map((rule) => ({ ...rule, remaining: rule.times ?? 1 }));
  }

  /** Rules not used up yet, with how many uses each has left. */
  pending(): Array<FaultRule & { remaining: number }> {
    return this.rules.map((rule) => ({ ...rule }));
  }

  /** The fault for this request, if any; uses up one application of the first matching rule. */
  take(path: string): Fault | undefined {
    const index = this.rules.findIndex((rule) => path.startsWith(rule.pathPrefix ?? ""));
    if (index < 0) return undefined;
    const rule = this.rules[index] as FaultRule & { remaining: number };
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules.splice(index, 1);
    const { pathPrefix: _prefix, times: _times, remaining: _remaining, ...fault } = rule;
    return fault;
  }
}

export function describeFault(fault: Fault): string {
  return Object.entries(fault)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(",");
}
