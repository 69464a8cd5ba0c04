/**
 * Plan JSON for akamai resources, which real Terraform cannot plan here (the provider is not available).
 * Values are built the way `terraform show -json` holds them, from providers/akamai/schema.json: every
 * attribute of the resource's schema present (null when unset), no attribute the schema lacks, types as the
 * schema says, `*_sensitive` masks from the schema's `sensitive` flags, and `after_unknown` marking the
 * computed attributes a create learns only at apply. The configured arguments come from a real synthesized
 * stack, checked against the same schema with providers/schema-check.ts.
 */
import { checkAkamaiBlocks, loadAkamaiSchema } from "../../../../providers/schema-check";
import type { ResourceChange } from "../../../../cli/plan-report/plan";

const AKAMAI = "registry.terraform.io/akamai/akamai";
const META = new Set(["//", "lifecycle", "depends_on", "provider", "count", "for_each"]);

interface Attribute {
  type?: unknown;
  nested_type?: { nesting_mode: string; attributes: Record<string, Attribute> };
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
}
interface Block {
  attributes?: Record<string, Attribute>;
  block_types?: Record<string, { nesting_mode: string; block: Block }>;
}

const schemaFile = loadAkamaiSchema();
const resourceSchemas = schemaFile.provider_schemas[AKAMAI]!.resource_schemas as unknown as Record<string, { block: Block }>;

function blockOf(type: string): Block {
  const schema = resourceSchemas[type];
  if (!schema) throw new Error(`${type} is not in providers/akamai/schema.json`);
  return schema.block;
}

/** The arguments of `resource.<type>.<name>` in a synthesized cdk.tf.json, after a schema check. */
export function configuredArguments(stackJson: Record<string, any>, type: string, name: string): Record<string, unknown> {
  const problems = checkAkamaiBlocks(stackJson, schemaFile);
  if (problems.length > 0) throw new Error(`the synthesized akamai blocks do not match the schema: ${JSON.stringify(problems)}`);
  const body = stackJson.resource?.[type]?.[name] as Record<string, unknown> | undefined;
  if (!body) throw new Error(`no resource.${type}.${name} in the stack`);
  return Object.fromEntries(Object.entries(body).filter(([k]) => !META.has(k)));
}

/** An object as Terraform holds it: every schema attribute present, `values` on top. Throws on anything the schema does not allow. */
export function akamaiObject(type: string, values: Record<string, unknown>): Record<string, unknown> {
  return fillBlock(blockOf(type), values, type);
}

function fillBlock(block: Block, values: Record<string, unknown>, path: string): Record<string, unknown> {
  const attributes = block.attributes ?? {};
  const blockTypes = block.block_types ?? {};
  for (const key of Object.keys(values)) {
    if (!(key in attributes) && !(key in blockTypes)) throw new Error(`${path}.${key} is not in the schema`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    const value = values[name];
    out[name] = value === undefined || value === null ? null : fillAttribute(attribute, value, `${path}.${name}`);
  }
  for (const [name, blockType] of Object.entries(blockTypes)) {
    const value = values[name];
    if (blockType.nesting_mode === "single")
      out[name] = value == null ? null : fillBlock(blockType.block, value as Record<string, unknown>, `${path}.${name}`);
    else
      out[name] = ((value as Record<string, unknown>[] | undefined) ?? []).map((item, i) =>
        fillBlock(blockType.block, item, `${path}.${name}[${i}]`),
      );
  }
  return out;
}

function fillAttribute(attribute: Attribute, value: unknown, path: string): unknown {
  if (attribute.nested_type) {
    const nested: Block = { attributes: attribute.nested_type.attributes };
    if (attribute.nested_type.nesting_mode === "single") {
      if (!isRecord(value)) throw new Error(`${path}: expected an object`);
      return fillBlock(nested, value, path);
    }
    if (!Array.isArray(value)) throw new Error(`${path}: expected a ${attribute.nested_type.nesting_mode}`);
    return value.map((item, i) => fillBlock(nested, item as Record<string, unknown>, `${path}[${i}]`));
  }
  checkType(attribute.type, value, path);
  return value;
}

function checkType(type: unknown, value: unknown, path: string): void {
  if (value === null) return;
  if (type === "string" || type === "number" || type === "bool") {
    const js = type === "bool" ? "boolean" : type;
    if (typeof value !== js) throw new Error(`${path}: expected a ${type}, got ${JSON.stringify(value)}`);
    return;
  }
  if (Array.isArray(type) && (type[0] === "list" || type[0] === "set")) {
    if (!Array.isArray(value)) throw new Error(`${path}: expected a ${type[0]}`);
    for (const [i, v] of value.entries()) checkType(type[1], v, `${path}[${i}]`);
    return;
  }
  if (Array.isArray(type) && type[0] === "map") {
    if (!isRecord(value)) throw new Error(`${path}: expected a map`);
    for (const [k, v] of Object.entries(value)) checkType(type[1], v, `${path}.${k}`);
  }
}

/** The `*_sensitive` mask of a value: `true` on every attribute the schema marks sensitive. */
export function sensitiveMask(type: string, value: Record<string, unknown> | null): Record<string, unknown> | false {
  if (!value) return false;
  return maskBlock({ attributes: blockOf(type).attributes ?? {} }, value);
}

function maskBlock(block: Block, value: Record<string, unknown>): Record<string, unknown> {
  const mask: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(block.attributes ?? {})) {
    if (attribute.sensitive) mask[name] = true;
    else if (attribute.nested_type && value[name] != null) {
      const nested: Block = { attributes: attribute.nested_type.attributes };
      const v = value[name];
      const m = Array.isArray(v)
        ? v.map((item) => maskBlock(nested, item as Record<string, unknown>))
        : maskBlock(nested, v as Record<string, unknown>);
      if (Array.isArray(m) ? m.some((x) => Object.keys(x).length > 0) : Object.keys(m).length > 0) mask[name] = m;
    }
  }
  return mask;
}

/** `after_unknown` of a create: computed attributes left unset (null) are known only after apply. */
export function createUnknowns(type: string, after: Record<string, unknown>): Record<string, unknown> {
  return unknownBlock({ attributes: blockOf(type).attributes ?? {} }, after);
}

function unknownBlock(block: Block, value: Record<string, unknown>): Record<string, unknown> {
  const unknown: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(block.attributes ?? {})) {
    const v = value[name];
    if (v === null && attribute.computed) unknown[name] = true;
    else if (attribute.nested_type && isRecord(v)) {
      const nested = unknownBlock({ attributes: attribute.nested_type.attributes }, v);
      if (Object.keys(nested).length > 0) unknown[name] = nested;
    } else if (attribute.nested_type && Array.isArray(v)) {
      const items = v.map((item) =>
        unknownBlock({ attributes: attribute.nested_type!.attributes }, item as Record<string, unknown>),
      );
      if (items.some((item) => Object.keys(item).length > 0)) unknown[name] = items;
    }
  }
  return unknown;
}

export interface AkamaiChangeSpec {
  type: string;
  name: string;
  actions: string[];
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  replacePaths?: Array<Array<string | number>>;
  actionReason?: string;
  /** Overrides the computed `after_unknown` (default: from the schema for creates and replacements, {} otherwise). */
  afterUnknown?: Record<string, unknown>;
}

export function akamaiChange(spec: AkamaiChangeSpec): ResourceChange {
  const creates = spec.actions.includes("create");
  const change: ResourceChange = {
    address: `${spec.type}.${spec.name}`,
    mode: "managed",
    type: spec.type,
    name: spec.name,
    provider_name: AKAMAI,
    change: {
      actions: spec.actions,
      before: spec.before,
      after: spec.after,
      after_unknown: spec.afterUnknown ?? (creates && spec.after ? createUnknowns(spec.type, spec.after) : {}),
      before_sensitive: sensitiveMask(spec.type, spec.before),
      after_sensitive: sensitiveMask(spec.type, spec.after),
    },
  };
  if (spec.replacePaths) change.change.replace_paths = spec.replacePaths;
  if (spec.actionReason) change.action_reason = spec.actionReason;
  return change;
}

/** A whole `terraform show -json` document around resource changes, with configuration and prior state. */
export function planDocument(
  changes: ResourceChange[],
  configured: Array<{ type: string; name: string; arguments: Record<string, unknown> }>,
): Record<string, unknown> {
  const valuesOf = (pick: "before" | "after") =>
    changes
      .filter((c) => c.change[pick] !== null && c.change[pick] !== undefined)
      .map((c) => ({
        address: c.address,
        mode: c.mode,
        type: c.type,
        name: c.name,
        provider_name: c.provider_name,
        schema_version: 0,
        values: c.change[pick],
        sensitive_values: c.change[`${pick}_sensitive`] || {},
      }));
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    planned_values: { root_module: { resources: valuesOf("after") } },
    resource_changes: changes,
    prior_state: {
      format_version: "1.0",
      terraform_version: "1.11.4",
      values: { root_module: { resources: valuesOf("before") } },
    },
    configuration: {
      provider_config: { akamai: { name: "akamai", full_name: AKAMAI, version_constraint: "~> 9.2" } },
      root_module: {
        resources: configured.map((r) => ({
          address: `${r.type}.${r.name}`,
          mode: "managed",
          type: r.type,
          name: r.name,
          provider_config_key: "akamai",
          expressions: Object.fromEntries(Object.entries(r.arguments).map(([k, v]) => [k, { constant_value: v }])),
          schema_version: 0,
        })),
      },
    },
    timestamp: "2026-11-23T12:00:00Z",
    applyable: true,
    complete: true,
    errored: false,
  };
}

function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
