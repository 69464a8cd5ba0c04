/**
 * Checks synthesized `akamai_*` blocks against providers/akamai/schema.json, since the Akamai provider
 * cannot run here: required attributes present, no unknown attributes, Terraform types respected, and the
 * documented allowed values and ranges (the schema's `x_constraints` plus the rules in NOTES.md) kept.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

interface SchemaAttribute {
  type?: unknown;
  nested_type?: { nesting_mode: string; attributes: Record<string, SchemaAttribute> };
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
}
interface SchemaBlock {
  attributes?: Record<string, SchemaAttribute>;
  block_types?: Record<string, { nesting_mode: string; block: SchemaBlock; min_items?: number; max_items?: number }>;
}
export interface ProviderSchemaFile {
  provider_schemas: Record<
    string,
    { resource_schemas: Record<string, { block: SchemaBlock }>; data_source_schemas: Record<string, { block: SchemaBlock }> }
  >;
  x_constraints: Record<string, { attributes?: Record<string, { allowed_values?: unknown[] }> }>;
}

export interface SchemaProblem {
  resource: string;
  path: string;
  problem: string;
}

const AKAMAI = "registry.terraform.io/akamai/akamai";
/** Terraform meta-arguments and cdktf's metadata key are allowed on every block. */
const META_ARGUMENTS = new Set([
  "//",
  "alias",
  "count",
  "for_each",
  "provider",
  "depends_on",
  "lifecycle",
  "provisioner",
  "connection",
]);

export function loadAkamaiSchema(root = join(__dirname, "..")): ProviderSchemaFile {
  return JSON.parse(readFileSync(join(root, "providers/akamai/schema.json"), "utf8")) as ProviderSchemaFile;
}

/** Every problem in the `akamai_*` resources and data sources of one synthesized cdk.tf.json. */
export function checkAkamaiBlocks(stackJson: Record<string, any>, schema: ProviderSchemaFile): SchemaProblem[] {
  const provider = schema.provider_schemas[AKAMAI];
  if (!provider) throw new Error(`schema has no provider ${AKAMAI}`);
  const problems: SchemaProblem[] = [];
  const providerBlock = (provider as unknown as { provider: { block: SchemaBlock } }).provider.block;
  for (const [i, config] of ((stackJson.provider?.akamai ?? []) as Record<string, unknown>[]).entries()) {
    checkBlock(
      config,
      providerBlock,
      "",
      (path, problem) => problems.push({ resource: `provider.akamai[${i}]`, path, problem }),
      true,
    );
  }
  for (const [kind, schemas, prefix] of [
    ["resource", provider.resource_schemas, "resource"],
    ["data", provider.data_source_schemas, "data"],
  ] as const) {
    for (const [type, instances] of Object.entries<Record<string, any>>(stackJson[kind] ?? {})) {
      if (!type.startsWith("akamai_")) continue;
      for (const [name, body] of Object.entries(instances)) {
        const resource = `${kind === "data" ? "data." : ""}${type}.${name}`;
        const typeSchema = schemas[type];
        if (!typeSchema) {
          problems.push({ resource, path: "", problem: `unknown ${kind} type ${type} (not in provider schema)` });
          continue;
        }
        const report = (path: string, problem: string) => problems.push({ resource, path, problem });
        checkBlock(body, typeSchema.block, "", report, true);
        const constraints = schema.x_constraints[`${prefix}.${type}`];
        checkAllowedValues(body, constraints?.attributes ?? {}, report);
        RULES[type]?.(body, report);
      }
    }
  }
  return problems;
}

type Report = (path: string, problem: string) => void;

function checkBlock(value: Record<string, unknown>, block: SchemaBlock, path: string, report: Report, topLevel: boolean): void {
  const attributes = block.attributes ?? {};
  const blockTypes = block.block_types ?? {};
  for (const key of Object.keys(value)) {
    if (topLevel && META_ARGUMENTS.has(key)) continue;
    if (!(key in attributes) && !(key in blockTypes)) report(join2(path, key), "unknown attribute (not in provider schema)");
  }
  for (const [name, attribute] of Object.entries(attributes)) {
    const v = value[name];
    const at = join2(path, name);
    if (v === undefined || v === null) {
      if (attribute.required) report(at, "required attribute is missing");
      continue;
    }
    if (attribute.computed && !attribute.optional && !attribute.required) {
      report(at, "computed-only attribute cannot be set");
      continue;
    }
    if (attribute.nested_type) checkNested(v, attribute.nested_type, at, report);
    else checkType(v, attribute.type, at, report);
  }
  for (const [name, blockType] of Object.entries(blockTypes)) {
    const v = value[name];
    if (v === undefined) continue;
    const items = Array.isArray(v) ? v : [v];
    if (blockType.max_items !== undefined && items.length > blockType.max_items)
      report(join2(path, name), `at most ${blockType.max_items} block(s) allowed`);
    for (const [i, item] of items.entries())
      checkBlock(item as Record<string, unknown>, blockType.block, `${join2(path, name)}[${i}]`, report, false);
  }
}

function checkNested(value: unknown, nested: NonNullable<SchemaAttribute["nested_type"]>, path: string, report: Report): void {
  if (isExpression(value)) return;
  const block = { attributes: nested.attributes };
  if (nested.nesting_mode === "single") {
    if (isObject(value)) checkBlock(value, block, path, report, false);
    else report(path, "expected an object");
    return;
  }
  if (!Array.isArray(value)) {
    report(path, `expected a ${nested.nesting_mode} of objects`);
    return;
  }
  for (const [i, item] of value.entries()) {
    if (isObject(item)) checkBlock(item, block, `${path}[${i}]`, report, false);
    else report(`${path}[${i}]`, "expected an object");
  }
}

/** Terraform type expressions: "string" | "number" | "bool" | ["list"|"set"|"map", T] | ["object", {...}]. */
function checkType(value: unknown, type: unknown, path: string, report: Report): void {
  if (isExpression(value)) return; // resolved by Terraform; not knowable at synth
  if (type === "string") {
    if (typeof value !== "string") report(path, `expected a string, got ${JSON.stringify(value)}`);
  } else if (type === "number") {
    if (typeof value !== "number") report(path, `expected a number, got ${JSON.stringify(value)}`);
  } else if (type === "bool") {
    if (typeof value !== "boolean") report(path, `expected a bool, got ${JSON.stringify(value)}`);
  } else if (Array.isArray(type) && (type[0] === "list" || type[0] === "set")) {
    if (!Array.isArray(value)) report(path, `expected a ${type[0]}`);
    else for (const [i, item] of value.entries()) checkType(item, type[1], `${path}[${i}]`, report);
  } else if (Array.isArray(type) && type[0] === "map") {
    if (!isObject(value)) report(path, "expected a map");
    else for (const [k, item] of Object.entries(value)) checkType(item, type[1], `${path}.${k}`, report);
  } else if (Array.isArray(type) && type[0] === "object") {
    if (!isObject(value)) report(path, "expected an object");
  }
}

/** x_constraints paths like "network" or "api_access.apis[*].access_level" with `allowed_values`. */
function checkAllowedValues(
  body: Record<string, unknown>,
  attributes: Record<string, { allowed_values?: unknown[] }>,
  report: Report,
): void {
  for (const [path, constraint] of Object.entries(attributes)) {
    if (!constraint.allowed_values) continue;
    for (const [at, v] of valuesAt(body, path.split("."), "")) {
      if (v === undefined || isExpression(v)) continue;
      if (!constraint.allowed_values.includes(v))
        report(
          at,
          `${JSON.stringify(v)} is not allowed; allowed: ${constraint.allowed_values.map((a) => JSON.stringify(a)).join(", ")}`,
        );
    }
  }
}

function valuesAt(value: unknown, parts: string[], at: string): Array<[string, unknown]> {
  if (parts.length === 0) return [[at, value]];
  const [head, ...rest] = parts as [string, ...string[]];
  const many = head.endsWith("[*]");
  const key = many ? head.slice(0, -3) : head;
  if (!isObject(value)) return [];
  const next = value[key];
  if (!many) return valuesAt(next, rest, join2(at, key));
  return Array.isArray(next) ? next.flatMap((item, i) => valuesAt(item, rest, `${join2(at, key)}[${i}]`)) : [];
}

/** Provider validations that the schema JSON only states in prose (NOTES.md). */
const RULES: Record<string, (body: Record<string, any>, report: Report) => void> = {
  akamai_edgekv(body, report) {
    const r = body.retention_in_seconds;
    if (typeof r === "number" && r !== 0 && (r < 86_400 || r > 315_360_000))
      report("retention_in_seconds", `${r} is not allowed; allowed: 0 or 86400..315360000`);
    if (typeof body.group_id === "number" && body.group_id < 0) report("group_id", "must be ≥ 0");
    if (body.geo_location === undefined)
      report("geo_location", "must be set explicitly (left out, a read-back of US can force a replacement)");
  },
  akamai_edgekv_group_items(body, report) {
    if (isObject(body.items) && Object.keys(body.items).length === 0) report("items", "must have at least one item");
  },
  akamai_iam_api_client(body, report) {
    const users = body.authorized_users;
    if (Array.isArray(users) && users.length !== 1) report("authorized_users", "exactly one authorized user is required");
    const access = body.api_access;
    if (isObject(access) && access.all_accessible_apis === false && !(Array.isArray(access.apis) && access.apis.length > 0)) {
      report("api_access.apis", "at least one API is required when all_accessible_apis is false");
    }
    if (isObject(access) && access.all_accessible_apis === true && access.apis !== undefined)
      report("api_access.apis", "must be empty when all_accessible_apis is true");
    const groups = body.group_access;
    if (
      isObject(groups) &&
      groups.clone_authorized_user_groups === false &&
      !(Array.isArray(groups.groups) && groups.groups.length > 0)
    ) {
      report("group_access.groups", "at least one group is required when clone_authorized_user_groups is false");
    }
    const cp = body.purge_options?.cp_code_access;
    if (isObject(cp) && cp.all_current_and_new_cp_codes === true && Array.isArray(cp.cp_codes) && cp.cp_codes.length > 0) {
      report("purge_options.cp_code_access.cp_codes", "must be empty when all_current_and_new_cp_codes is true");
    }
    if (isObject(body.ip_acl) && !(Array.isArray(body.ip_acl.cidr) && body.ip_acl.cidr.length > 0))
      report("ip_acl.cidr", "at least one CIDR is required");
    if (body.client_description === "") report("client_description", "must not be empty when set");
  },
};

function isExpression(value: unknown): boolean {
  return typeof value === "string" && value.includes("${");
}
function isObject(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function join2(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
