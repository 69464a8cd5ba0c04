/**
 * The one purge entry point before anything is sent: validate every object, then plan the Fast Purge
 * requests, once. The CLI (direct and --env), the purge API and (through the API's plan) the worker all
 * start from this result, so an object is judged the same way on every path.
 */
import {
  type PurgeAction,
  type PurgeNetwork,
  type PurgeObject,
  type PurgeType,
  type RejectedObject,
  validateObjects,
} from "./objects";
import { type PurgePlan, planBatches } from "./planner";

export interface PurgeRequestInput {
  type: PurgeType;
  action: PurgeAction;
  network: PurgeNetwork;
  objects: readonly unknown[];
  /** Required for url: the allowed hostnames, or "any" (direct purges without an allow-list). */
  allowedHostnames?: readonly string[] | "any";
}

export interface PreparedPurge {
  type: PurgeType;
  action: PurgeAction;
  network: PurgeNetwork;
  /** Valid objects, each once, in input order, that the plan placed in a batch. */
  accepted: PurgeObject[];
  plan: PurgePlan;
  /** Every refused object with its input position and reason (validation and planner), in input order. */
  rejected: RejectedObject[];
  /** Valid objects given more than once (sent once). */
  duplicates: number;
}

/** Validates and plans; sends nothing. Throws PurgeInputError only for a bad type/action/network or list. */
export function preparePurge(input: PurgeRequestInput): PreparedPurge {
  const validated = validateObjects({
    type: input.type,
    objects: input.objects,
    ...(input.allowedHostnames !== undefined ? { allowedHostnames: input.allowedHostnames } : {}),
  });
  const plan = planBatches({ type: input.type, action: input.action, network: input.network, objects: validated.accepted });
  // The planner refuses only objects too big for any body; its indexes point into `accepted`.
  const planRefused = new Set(plan.rejected.map((r) => r.index));
  const rejected: RejectedObject[] = [
    ...validated.rejected,
    ...plan.rejected.map((r) => ({
      index: validated.acceptedIndexes[r.index] ?? -1,
      object: input.objects[validated.acceptedIndexes[r.index] ?? -1] ?? r.object,
      reason: r.reason,
    })),
  ].sort((a, b) => a.index - b.index);
  return {
    type: input.type,
    action: input.action,
    network: input.network,
    accepted: planRefused.size === 0 ? validated.accepted : validated.accepted.filter((_, i) => !planRefused.has(i)),
    plan,
    rejected,
    duplicates: validated.duplicates,
  };
}

/** Hosts of URL objects, in first-seen order (for "purged on www.example.com, ..." summaries). */
export function hostsOf(objects: readonly PurgeObject[]): string[] {
  const hosts = new Set<string>();
  for (const object of objects) {
    if (typeof object !== "string") continue;
    const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/.exec(object);
    if (match?.[1]) hosts.add(match[1]);
  }
  return [...hosts];
}
