/**
 * A small validator over Akamai's OpenAPI 3.0 documents (openapi/*.json): finds the operation of a request
 * (method + path template under the document's server base path) and checks the request's path and query
 * parameters and body, or an answer's status, content type and body, against it with Ajv.
 *
 * OpenAPI 3.0 schemas are not quite JSON Schema; before compiling, `toJsonSchema` turns
 * - `nullable: true` into a type (and enum) that admits null;
 * - an `allOf` of object schemas that each forbid additional properties (as the EdgeKV token answers are
 *   written, which no object could satisfy) into one object schema with the union of their properties;
 * and the `date`, `date-time`, `uuid`, `email`, `uri` and `binary` formats are registered here.
 * Vendor keys (`x-akamai`, `example`, …) are ignored (Ajv in non-strict mode).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";

type Json = unknown;
type Schema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: Schema;
}

export interface OpenApiMedia {
  schema?: Schema;
}

export interface OpenApiOperation {
  operationId?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content: Record<string, OpenApiMedia> };
  responses: Record<string, { description?: string; content?: Record<string, OpenApiMedia> }>;
}

export type OpenApiPathItem = Record<string, unknown> & { parameters?: OpenApiParameter[] };

export interface OpenApiDocument {
  openapi: string;
  info?: { title?: string };
  servers: Array<{ url: string }>;
  paths: Record<string, OpenApiPathItem>;
}

export const DOCUMENT_FILES = ["ccu-v3.json", "edgekv-v1.json", "edgeworkers-v1.json", "identity-management-v3.json"] as const;

export function loadDocuments(dir = join(__dirname, "openapi")): OpenApiDocument[] {
  return DOCUMENT_FILES.map((file) => JSON.parse(readFileSync(join(dir, file), "utf8")) as OpenApiDocument);
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

/** "/ccu/v3" from "https://{hostname}/ccu/v3". */
export function basePath(document: OpenApiDocument): string {
  const url = document.servers[0]?.url ?? "";
  return url.replace(/^[a-z]+:\/\/[^/]+/i, "").replace(/\/$/, "");
}

export interface FoundOperation {
  /** e.g. "POST /edgekv/v1/tokens". */
  name: string;
  document: OpenApiDocument;
  template: string;
  operation: OpenApiOperation;
  parameters: OpenApiParameter[];
  pathValues: Record<string, string>;
}

export interface RequestToCheck {
  method: string;
  /** Without the query. */
  path: string;
  query?: URLSearchParams;
  contentType?: string;
  /** Parsed JSON, or a Buffer for other bodies; undefined when there is none. */
  body?: unknown;
}

export interface ResponseToCheck {
  method: string;
  path: string;
  status: number;
  contentType?: string;
  /** Parsed JSON; undefined when empty or not JSON. */
  body?: unknown;
  /** Length of the answer's body in bytes. */
  bodyBytes: number;
}

function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(";")[0]?.trim().toLowerCase() || undefined;
}

function isObjectSchema(schema: unknown): schema is Schema {
  return typeof schema === "object" && schema !== null && !Array.isArray(schema);
}

/** OpenAPI 3.0 schema → JSON Schema Ajv reads (see the module comment). */
export function toJsonSchema(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (!isObjectSchema(schema)) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "nullable" || key.startsWith("x-") || key === "example" || key === "examples") continue;
    // `properties` maps names to schemas: keep every name, convert each schema.
    out[key] =
      key === "properties" && isObjectSchema(value)
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchema(v)]))
        : toJsonSchema(value);
  }
  if (schema.nullable === true) {
    if (typeof out.type === "string") out.type = [out.type, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  const allOf = out.allOf;
  if (
    Array.isArray(allOf) &&
    allOf.length > 1 &&
    allOf.every((s) => isObjectSchema(s) && s.type === "object" && isObjectSchema(s.properties))
  ) {
    const members = allOf as Schema[];
    const { allOf: _allOf, ...rest } = out;
    return {
      ...rest,
      type: "object",
      properties: Object.assign({}, ...members.map((m) => m.properties)),
      required: [...new Set(members.flatMap((m) => (Array.isArray(m.required) ? (m.required as string[]) : [])))],
      ...(members.every((m) => m.additionalProperties === false) ? { additionalProperties: false } : {}),
    };
  }
  return out;
}

function coerceParameter(value: string, schema: Schema | undefined): unknown {
  const type = schema?.type;
  if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === "boolean" && (value === "true" || value === "false")) return value === "true";
  return value;
}

export class OpenApiValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new WeakMap<object, ValidateFunction>();
  private readonly routes: Array<{
    method: string;
    pattern: RegExp;
    names: string[];
    found: Omit<FoundOperation, "pathValues">;
  }> = [];

  constructor(documents: readonly OpenApiDocument[]) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    this.ajv.addFormat("date", /^\d{4}-\d{2}-\d{2}$/);
    this.ajv.addFormat(
      "date-time",
      (text: string) =>
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(Date.parse(text)),
    );
    this.ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    this.ajv.addFormat("email", /^[^\s@]+@[^\s@]+$/);
    this.ajv.addFormat("uri", (text: string) => URL.canParse(text));
    this.ajv.addFormat("binary", () => true);
    for (const document of documents) {
      const base = basePath(document);
      for (const [template, item] of Object.entries(document.paths)) {
        for (const method of METHODS) {
          const operation = item[method] as OpenApiOperation | undefined;
          if (!operation) continue;
          const names: string[] = [];
          const source = `${base}${template}`.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{([^}]+)\}/g, (_m, name: string) => {
            names.push(name);
            return "([^/]+)";
          });
          const byName = new Map<string, OpenApiParameter>();
          for (const p of [...(item.parameters ?? []), ...(operation.parameters ?? [])]) byName.set(`${p.in}:${p.name}`, p);
          this.routes.push({
            method: method.toUpperCase(),
            pattern: new RegExp(`^${source}$`),
            names,
            found: {
              name: `${method.toUpperCase()} ${base}${template}`,
              document,
              template,
              operation,
              parameters: [...byName.values()],
            },
          });
        }
      }
    }
    // Literal paths win over templated ones (…/credentials/deactivate before …/credentials/{credentialId}).
    this.routes.sort((a, b) => a.names.length - b.names.length);
  }

  findOperation(method: string, path: string): FoundOperation | undefined {
    for (const route of this.routes) {
      if (route.method !== method.toUpperCase()) continue;
      const match = route.pattern.exec(path);
      if (!match) continue;
      const pathValues = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1] as string)]));
      return { ...route.found, pathValues };
    }
    return undefined;
  }

  private check(schema: Schema | undefined, value: unknown, where: string): string[] {
    if (schema === undefined) return [];
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(toJsonSchema(schema) as Schema);
      this.compiled.set(schema, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (e) =>
        `${where}${e.instancePath}: ${e.message ?? e.keyword}${e.keyword === "additionalProperties" ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : ""}`,
    );
  }

  /** Problems with a request, each naming the operation and the place; [] when it conforms. */
  checkRequest(request: RequestToCheck): string[] {
    const found = this.findOperation(request.method, request.path);
    if (!found) return [`${request.method} ${request.path}: no operation in the documents`];
    const problems: string[] = [];
    const at = (what: string) => `${found.name} ${what}`;
    for (const parameter of found.parameters.filter((p) => p.in === "path")) {
      const value = found.pathValues[parameter.name];
      if (value === undefined) problems.push(at(`path parameter ${parameter.name} is missing`));
      else
        problems.push(
          ...this.check(parameter.schema, coerceParameter(value, parameter.schema), at(`path parameter ${parameter.name}`)),
        );
    }
    const query = request.query ?? new URLSearchParams();
    const declared = found.parameters.filter((p) => p.in === "query");
    for (const name of new Set(query.keys())) {
      const parameter = declared.find((p) => p.name === name);
      if (!parameter) problems.push(at(`query parameter ${name} is not documented`));
      else
        for (const value of query.getAll(name))
          problems.push(...this.check(parameter.schema, coerceParameter(value, parameter.schema), at(`query parameter ${name}`)));
    }
    for (const parameter of declared.filter((p) => p.required === true && !query.has(p.name)))
      problems.push(at(`query parameter ${parameter.name} is required`));

    const requestBody = found.operation.requestBody;
    const hasBody = request.body !== undefined && !(Buffer.isBuffer(request.body) && request.body.length === 0);
    if (!requestBody) {
      if (hasBody) problems.push(at("takes no request body"));
      return problems;
    }
    if (!hasBody) {
      if (requestBody.required === true) problems.push(at("needs a request body"));
      return problems;
    }
    const type = mediaType(request.contentType);
    const media = type === undefined ? undefined : requestBody.content[type];
    if (!media)
      return [
        ...problems,
        at(`request content type ${type ?? "(none)"} is not one of ${Object.keys(requestBody.content).join(", ")}`),
      ];
    if (Buffer.isBuffer(request.body)) {
      if (media.schema?.format !== "binary") problems.push(at(`request body of ${type} is not JSON`));
      return problems;
    }
    return [...problems, ...this.check(media.schema, request.body, at("request body"))];
  }

  /** Problems with an answer, each naming the operation and the place; [] when it conforms. */
  checkResponse(response: ResponseToCheck): string[] {
    const found = this.findOperation(response.method, response.path);
    if (!found) return [`${response.method} ${response.path}: no operation in the documents`];
    const at = (what: string) => `${found.name} → ${response.status} ${what}`;
    const documented = found.operation.responses[String(response.status)] ?? found.operation.responses.default;
    if (!documented) return [at(`is not a documented status (documented: ${Object.keys(found.operation.responses).join(", ")})`)];
    const content = documented.content ?? {};
    if (Object.keys(content).length === 0) return response.bodyBytes === 0 ? [] : [at("must have no body")];
    const type = mediaType(response.contentType);
    const media = (type === undefined ? undefined : content[type]) ?? content["*/*"];
    if (!media) return [at(`content type ${type ?? "(none)"} is not one of ${Object.keys(content).join(", ")}`)];
    if (media.schema?.format === "binary" || media.schema === undefined) return [];
    return this.check(media.schema, response.body, at("body"));
  }
}
