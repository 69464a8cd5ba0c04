/**
 * The part of `terraform show -json <planfile>` (format 1.x) that the plan report reads, and how each
 * resource change is classified. Reference: https://developer.hashicorp.com/terraform/internals/json-format
 */

/** A step of an attribute path as Terraform writes it in `replace_paths`: attribute name or index/key. */
export type PathStep = string | number;

export interface Change {
  actions: string[];
  before?: unknown;
  after?: unknown;
  /** Mirrors `after`; `true` where the value is known only after apply. */
  after_unknown?: unknown;
  /** Mirror `before` / `after`; `true` where the value is sensitive. */
  before_sensitive?: unknown;
  after_sensitive?: unknown;
  /** Attribute paths that force a replacement. */
  replace_paths?: PathStep[][];
  importing?: { id?: string; identity?: unknown } | null;
}

export interface ResourceChange {
  address: string;
  previous_address?: string;
  module_address?: string;
  mode: "managed" | "data";
  type: string;
  name: string;
  index?: string | number;
  deposed?: string;
  provider_name?: string;
  /** e.g. replace_because_cannot_update, delete_because_no_resource_config. */
  action_reason?: string;
  change: Change;
}

/** A resource block in `configuration` (root module or a module call). */
export interface ConfiguredResource {
  address: string;
  mode?: string;
  type: string;
  name: string;
  expressions?: Record<string, unknown>;
}

interface ConfigModule {
  resources?: ConfiguredResource[];
  module_calls?: Record<string, { module?: ConfigModule }>;
}

export interface TerraformPlan {
  format_version: string;
  terraform_version?: string;
  resource_changes?: ResourceChange[];
  configuration?: { root_module?: ConfigModule };
  errored?: boolean;
  complete?: boolean;
  applyable?: boolean;
}

export type ChangeKind = "create" | "update" | "replace" | "delete" | "read" | "no-op" | "forget" | "other";

export function changeKind(actions: readonly string[]): ChangeKind {
  const key = actions.join(",");
  switch (key) {
    case "create":
    case "update":
    case "delete":
    case "read":
    case "no-op":
    case "forget":
      return key;
    case "delete,create":
    case "create,delete":
      return "replace";
    default:
      return "other";
  }
}

export interface ChangeCounts {
  add: number;
  change: number;
  destroy: number;
  replace: number;
  import: number;
  forget: number;
  /** Actions this report does not know (a newer Terraform); listed in the report, never dropped. */
  other: number;
}

/** Counts with replacements on their own, as the report shows them. */
export function countChanges(changes: readonly ResourceChange[]): ChangeCounts {
  const counts: ChangeCounts = { add: 0, change: 0, destroy: 0, replace: 0, import: 0, forget: 0, other: 0 };
  for (const rc of changes) {
    if (rc.mode === "data") continue;
    if (rc.change.importing) counts.import += 1;
    const kind = changeKind(rc.change.actions);
    if (kind === "create") counts.add += 1;
    else if (kind === "update") counts.change += 1;
    else if (kind === "delete") counts.destroy += 1;
    else if (kind === "replace") counts.replace += 1;
    else if (kind === "forget") counts.forget += 1;
    else if (kind === "other") counts.other += 1;
  }
  return counts;
}

/**
 * The sentence Terraform prints after a plan ("Plan: 2 to add, 1 to change, 2 to destroy."), where a
 * replacement counts once as an add and once as a destroy. Lets a reader compare the report with
 * `terraform show` at a glance.
 */
export function terraformSummary(counts: ChangeCounts): string {
  const { add, change, destroy, replace } = counts;
  if (add + change + destroy + replace + counts.import + counts.forget + counts.other === 0) return "No changes.";
  const parts = [`${add + replace} to add`, `${change} to change`, `${destroy + replace} to destroy`];
  if (counts.import > 0) parts.unshift(`${counts.import} to import`);
  if (counts.forget > 0) parts.push(`${counts.forget} to forget`);
  return `Plan: ${parts.join(", ")}.`;
}

export class PlanFormatError extends Error {}

/** Parses and sanity-checks the text of `terraform show -json <planfile>`. */
export function parsePlan(text: string, source: string): TerraformPlan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PlanFormatError(
      `${source}: not JSON (${(error as Error).message}); expected the output of \`terraform show -json <planfile>\``,
    );
  }
  if (!isRecord(value) || typeof value.format_version !== "string") {
    throw new PlanFormatError(`${source}: no "format_version"; expected the output of \`terraform show -json <planfile>\``);
  }
  if (!value.format_version.startsWith("1.")) {
    throw new PlanFormatError(`${source}: format_version ${value.format_version} is not supported; this report reads format 1.x`);
  }
  if (!("planned_values" in value) && !("resource_changes" in value) && "values" in value) {
    throw new PlanFormatError(`${source}: this is a state, not a plan; run \`terraform show -json <planfile>\` on a saved plan`);
  }
  const changes = value.resource_changes ?? [];
  if (!Array.isArray(changes)) throw new PlanFormatError(`${source}: "resource_changes" must be a list`);
  changes.forEach((rc: unknown, i: number) => {
    if (
      !isRecord(rc) ||
      typeof rc.address !== "string" ||
      typeof rc.type !== "string" ||
      !isRecord(rc.change) ||
      !Array.isArray(rc.change.actions)
    ) {
      throw new PlanFormatError(`${source}: resource_changes[${i}] needs "address", "type" and "change.actions"`);
    }
  });
  return value as unknown as TerraformPlan;
}

/** Every configured resource by address (without instance keys), modules included. */
export function configuredResources(plan: TerraformPlan): Map<string, ConfiguredResource> {
  const found = new Map<string, ConfiguredResource>();
  const visit = (module: ConfigModule | undefined, prefix: string) => {
    for (const resource of module?.resources ?? []) found.set(`${prefix}${resource.address}`, resource);
    for (const [name, call] of Object.entries(module?.module_calls ?? {})) visit(call.module, `${prefix}module.${name}.`);
  };
  visit(plan.configuration?.root_module, "");
  return found;
}

/** The configuration address of a resource instance: `module.a["x"].aws_s3_bucket.b[0]` → `module.a.aws_s3_bucket.b`. */
export function configAddress(address: string): string {
  return address.replace(/\[(?:"(?:[^"\\]|\\.)*"|\d+)\]/g, "");
}

export function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
