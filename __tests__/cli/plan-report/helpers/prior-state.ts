/**
 * A prior Terraform state for offline plans. Nothing can be applied here (no AWS), so the state that an
 * apply would have left is written by hand from a real plan: each planned resource with its planned
 * values, placeholders for what only AWS would have filled in (ids, ARNs, URLs), and the values of
 * attributes the configuration builds from those (templates of plain references, resolved here as
 * Terraform would). `settleState` takes whatever a `plan -refresh=false` still computes differently back
 * into the state, until a plan against it is quiet: the state is then one Terraform agrees with, and any
 * change a test makes to it or to the configuration shows up as exactly that change.
 */
import { randomUUID } from "node:crypto";

type CtyType = string | [string, unknown];
interface SchemaBlock {
  attributes?: Record<string, { type?: CtyType; computed?: boolean }>;
  block_types?: Record<string, { nesting_mode: string; block: SchemaBlock }>;
}
export interface ProviderSchemas {
  provider_schemas: Record<string, { resource_schemas: Record<string, { version: number; block: SchemaBlock }> }>;
}
interface PlanChange {
  address: string;
  mode: string;
  type: string;
  name: string;
  index?: unknown;
  provider_name: string;
  change: { actions: string[]; before: unknown; after: unknown; after_unknown?: unknown; after_sensitive?: unknown };
}
export interface PlanJson {
  resource_changes?: PlanChange[];
  configuration?: unknown;
}
export interface StateInstance {
  schema_version: number;
  attributes: Record<string, unknown>;
  sensitive_attributes: unknown[];
  dependencies?: string[];
}
export interface StateResource {
  mode: string;
  type: string;
  name: string;
  provider: string;
  instances: StateInstance[];
}
export interface TerraformState {
  version: 4;
  terraform_version: string;
  serial: number;
  lineage: string;
  outputs: Record<string, unknown>;
  resources: StateResource[];
}

const ACCOUNT = "111111111111";

/** The state an apply of this create-only plan would have written, with placeholders for computed values. */
export function stateFromCreatePlan(
  plan: PlanJson,
  schemas: ProviderSchemas,
  region: string,
  terraformVersion: string,
): TerraformState {
  const resources: StateResource[] = [];
  const referenced = referencedAttributes(plan.configuration);
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode !== "managed" || rc.change.actions.join() !== "create" || rc.index !== undefined) {
      throw new Error(
        `stateFromCreatePlan takes a create-only plan without count/for_each; ${rc.address} is ${rc.change.actions.join(",")}`,
      );
    }
    const schema = resourceSchema(schemas, rc.provider_name, rc.type);
    const after = structuredClone(rc.change.after) as Record<string, unknown>;
    const label = String(after.name ?? after.function_name ?? after.bucket ?? rc.name);
    const ctx: Context = { type: rc.type, address: rc.address, label, region, referenced };
    const attributes = fillBlock(after, rc.change.after_unknown, schema.block, ctx);
    resources.push({
      mode: "managed",
      type: rc.type,
      name: rc.name,
      provider: `provider["${rc.provider_name}"]`,
      instances: [
        { schema_version: schema.version, attributes, sensitive_attributes: sensitivePaths(rc.change.after_sensitive) },
      ],
    });
  }
  resolveFromConfiguration(plan, resources);
  return { version: 4, terraform_version: terraformVersion, serial: 1, lineage: randomUUID(), outputs: {}, resources };
}

/**
 * Unknown attributes whose configuration is a template of plain references (cdktf writes
 * `"integrations/${aws_apigatewayv2_integration.x.id}"`, IAM policies as JSON text with `${….arn}` inside)
 * get the value Terraform would compute from the placeholders, so fewer settle plans are needed.
 */
function resolveFromConfiguration(plan: PlanJson, resources: StateResource[]): void {
  const byAddress = new Map(resources.map((r) => [`${r.type}.${r.name}`, r]));
  const configs = new Map<string, Record<string, unknown>>();
  const root = isRecord(plan.configuration) && isRecord(plan.configuration.root_module) ? plan.configuration.root_module : {};
  for (const r of (root.resources ?? []) as Array<{ address: string; expressions?: Record<string, unknown> }>)
    configs.set(r.address, r.expressions ?? {});
  const lookup = (ref: string): string | undefined => {
    const match = /^([a-z0-9_]+\.[A-Za-z0-9_-]+)\.([a-z0-9_]+)$/.exec(ref);
    const value = match ? byAddress.get(match[1]!)?.instances[0]?.attributes[match[2]!] : undefined;
    return typeof value === "string" && !value.includes("${") ? value : typeof value === "number" ? String(value) : undefined;
  };
  const resolve = (value: unknown): unknown => {
    if (typeof value === "string") {
      let complete = true;
      const out = value.replace(/\$\{([^}]*)\}/g, (_, ref: string) => {
        const resolved = lookup(ref.trim());
        if (resolved === undefined) complete = false;
        return resolved ?? "";
      });
      return complete ? out : undefined;
    }
    if (Array.isArray(value)) {
      const items = value.map(resolve);
      return items.includes(undefined) ? undefined : items;
    }
    if (isRecord(value)) {
      const entries = Object.entries(value).map(([k, v]) => [k, resolve(v)] as const);
      return entries.some(([, v]) => v === undefined) ? undefined : Object.fromEntries(entries);
    }
    return value;
  };
  for (let round = 0; round < 5; round++) {
    let progress = false;
    for (const rc of plan.resource_changes ?? []) {
      const attributes = byAddress.get(rc.address)?.instances[0]?.attributes;
      const expressions = configs.get(rc.address);
      if (!attributes || !expressions) continue;
      for (const path of unknownPaths(rc.change.after_unknown)) {
        const literal = constantAt(expressions, path);
        if (literal === undefined) continue;
        const value = resolve(literal);
        if (value === undefined || JSON.stringify(value) === JSON.stringify(valueAt(attributes, path))) continue;
        setAt(attributes, path, value);
        progress = true;
      }
    }
    if (!progress) break;
  }
}

function unknownPaths(mask: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (mask === true) return [path];
  if (Array.isArray(mask)) return mask.flatMap((m, i) => unknownPaths(m, [...path, i]));
  if (isRecord(mask)) return Object.entries(mask).flatMap(([k, m]) => unknownPaths(m, [...path, k]));
  return [];
}

function constantAt(expressions: unknown, path: Array<string | number>): unknown {
  let node: unknown = expressions;
  for (const [i, step] of path.entries()) {
    if (isRecord(node) && "constant_value" in node) return valueAt(node.constant_value, path.slice(i));
    node = Array.isArray(node) ? node[step as number] : isRecord(node) ? node[step] : undefined;
    if (node === undefined) return undefined;
  }
  return isRecord(node) && "constant_value" in node ? node.constant_value : undefined;
}

function valueAt(value: unknown, path: Array<string | number>): unknown {
  let v = value;
  for (const step of path) v = Array.isArray(v) ? v[step as number] : isRecord(v) ? v[step] : undefined;
  return v;
}

function setAt(target: Record<string, unknown>, path: Array<string | number>, value: unknown): void {
  let node: any = target;
  for (const step of path.slice(0, -1)) node = node?.[step];
  if (node !== undefined && node !== null) node[path[path.length - 1]!] = value;
}

/**
 * Takes what a plan against `state` says the resources should be (update and replace changes) back into
 * the state, keeping the prior value wherever the plan knows it only after apply. Returns how many
 * resources changed; 0 means the plan was quiet.
 */
export function settleState(state: TerraformState, plan: PlanJson): number {
  let changed = 0;
  for (const rc of plan.resource_changes ?? []) {
    const actions = rc.change.actions.join();
    if (actions === "no-op") continue;
    if (!["update", "delete,create", "create,delete"].includes(actions))
      throw new Error(`settleState: unexpected ${actions} of ${rc.address}`);
    const resource = findResource(state, rc.type, rc.name);
    resource.instances[0]!.attributes = merge(rc.change.after, rc.change.after_unknown, rc.change.before) as Record<
      string,
      unknown
    >;
    resource.instances[0]!.sensitive_attributes = sensitivePaths(rc.change.after_sensitive);
    changed += 1;
  }
  state.serial += 1;
  return changed;
}

export function findResource(state: TerraformState, type: string, name: string): StateResource {
  const resource = state.resources.find((r) => r.type === type && r.name === name);
  if (!resource) throw new Error(`no ${type}.${name} in the state`);
  return resource;
}

/** State v4 `sensitive_attributes`: the paths a sensitivity mask marks, as Terraform writes them. */
function sensitivePaths(mask: unknown, path: unknown[] = []): unknown[][] {
  if (mask === true) return [path];
  if (Array.isArray(mask))
    return mask.flatMap((m, i) => sensitivePaths(m, [...path, { type: "index", value: { value: i, type: "number" } }]));
  if (isRecord(mask))
    return Object.entries(mask).flatMap(([k, m]) => sensitivePaths(m, [...path, { type: "get_attr", value: k }]));
  return [];
}

function resourceSchema(schemas: ProviderSchemas, provider: string, type: string): { version: number; block: SchemaBlock } {
  const schema = schemas.provider_schemas[provider]?.resource_schemas[type];
  if (!schema) throw new Error(`no schema for ${type} in ${provider}`);
  return schema;
}

function merge(after: unknown, unknown: unknown, before: unknown): unknown {
  if (unknown === true) return before;
  if (Array.isArray(after))
    return after.map((v, i) =>
      merge(v, Array.isArray(unknown) ? unknown[i] : undefined, Array.isArray(before) ? before[i] : undefined),
    );
  if (isRecord(after)) {
    const out: Record<string, unknown> = { ...after };
    const u = isRecord(unknown) ? unknown : {};
    const b = isRecord(before) ? before : {};
    for (const key of new Set([...Object.keys(after), ...Object.keys(u)])) out[key] = merge(after[key], u[key], b[key]);
    return out;
  }
  return after;
}

interface Context {
  type: string;
  address: string;
  label: string;
  region: string;
  /** `aws_kms_key.edgegrid.key_id`: attributes other resources read, which must not be left empty. */
  referenced: ReadonlySet<string>;
}

/** Every `<address>.<attribute>` the configuration refers to. */
function referencedAttributes(configuration: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown, key?: string): void => {
    if (key === "references" && Array.isArray(node)) for (const ref of node) if (typeof ref === "string") found.add(ref);
    if (Array.isArray(node)) for (const v of node) visit(v);
    else if (isRecord(node)) for (const [k, v] of Object.entries(node)) visit(v, k);
  };
  visit(configuration);
  return found;
}

function fillBlock(value: Record<string, unknown>, unknown: unknown, block: SchemaBlock, ctx: Context): Record<string, unknown> {
  const u = isRecord(unknown) ? unknown : {};
  for (const [name, attribute] of Object.entries(block.attributes ?? {})) {
    if (u[name] === true) value[name] = placeholder(attribute.type ?? "string", name, ctx);
    else if (u[name] !== undefined && value[name] !== undefined)
      value[name] = fillType(value[name], u[name], attribute.type, name, ctx);
  }
  for (const [name, blockType] of Object.entries(block.block_types ?? {})) {
    if (u[name] === true) value[name] = blockType.nesting_mode === "single" ? null : [];
    else if (Array.isArray(value[name]) && Array.isArray(u[name])) {
      value[name] = (value[name] as unknown[]).map((item, i) =>
        isRecord(item) ? fillBlock(item, (u[name] as unknown[])[i], blockType.block, ctx) : item,
      );
    } else if (isRecord(value[name]))
      value[name] = fillBlock(value[name] as Record<string, unknown>, u[name], blockType.block, ctx);
  }
  return value;
}

function fillType(value: unknown, unknown: unknown, type: CtyType | undefined, name: string, ctx: Context): unknown {
  if (unknown === true) return placeholder(type ?? "string", name, ctx);
  if (Array.isArray(type) && Array.isArray(value) && Array.isArray(unknown)) {
    return value.map((v, i) => fillType(v, unknown[i], type[1] as CtyType, name, ctx));
  }
  if (Array.isArray(type) && type[0] === "map" && isRecord(value) && isRecord(unknown)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillType(v, unknown[k], type[1] as CtyType, name, ctx)]));
  }
  return value;
}

/** A value of the right type for something only AWS would have filled in, shaped like the real thing. */
function placeholder(type: CtyType, name: string, ctx: Context): unknown {
  if (Array.isArray(type)) return type[0] === "map" || type[0] === "object" ? (type[0] === "map" ? {} : null) : [];
  if (type === "number") return 0;
  if (type === "bool") return false;
  const service = ctx.type.split("_")[1] ?? "aws";
  if (name === "arn" || name.endsWith("_arn")) {
    return service === "iam"
      ? `arn:aws:iam::${ACCOUNT}:${ctx.type.replace(/^aws_iam_/, "")}/${ctx.label}`
      : `arn:aws:${service}:${ctx.region}:${ACCOUNT}:${ctx.label}`;
  }
  if (name === "url") return `https://sqs.${ctx.region}.amazonaws.com/${ACCOUNT}/${ctx.label}`;
  if (name.endsWith("_url") || name.endsWith("endpoint")) return `https://${ctx.label}.example.invalid`;
  if (name === "id") return ctx.label;
  if (ctx.referenced.has(`${ctx.address}.${name}`)) return `${ctx.label}-${name}`;
  return null; // what AWS leaves empty; a made-up value could trip the provider's own checks
}

function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
