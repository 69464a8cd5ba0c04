/**
 * Where the live Akamai APIs differ from the published OpenAPI documents, written out one by one with the
 * source. `withLiveDifferences` returns deep copies of the documents with these changes; the documents in
 * openapi/ stay as Akamai published them. Every change here widens or adds; nothing the documents say is
 * relaxed beyond the case named.
 */
import type { OpenApiDocument, OpenApiOperation, OpenApiParameter } from "./openapi-validator";
import { basePath } from "./openapi-validator";

type Schema = Record<string, unknown>;

export interface LiveDifference {
  /** What differs, e.g. "EdgeKV token list items carry four more fields, all nullable". */
  what: string;
  /** Where the live behaviour is documented. */
  source: string;
  apply(documents: Map<string, OpenApiDocument>): void;
}

function doc(documents: Map<string, OpenApiDocument>, base: string): OpenApiDocument {
  const found = documents.get(base);
  if (!found) throw new Error(`no OpenAPI document for ${base}`);
  return found;
}

function operation(document: OpenApiDocument, template: string, method: string): OpenApiOperation {
  const found = document.paths[template]?.[method] as OpenApiOperation | undefined;
  if (!found) throw new Error(`no operation ${method.toUpperCase()} ${template}`);
  return found;
}

function jsonSchema(op: OpenApiOperation, status: string): Schema {
  const schema = op.responses[status]?.content?.["application/json"]?.schema;
  if (!schema) throw new Error(`no application/json schema for ${status}`);
  return schema;
}

const nullableText = (description: string): Schema => ({ type: "string", nullable: true, description });

/** The four refresh fields of enhanced tokens, as Akamai's Go SDK models them on list items (optional, nullable). */
const REFRESH_FIELDS: Schema = {
  tokenActivationStatus: nullableText("IN_PROGRESS, COMPLETE or ERROR"),
  issueDate: nullableText("YYYY-MM-DD"),
  latestRefreshDate: nullableText("YYYY-MM-DD; null before the first refresh"),
  nextScheduledRefreshDate: nullableText("YYYY-MM-DD"),
};

/**
 * A token as create, get and refresh answer it: a legacy token is {name, uuid, expiry, value}; an enhanced
 * token has no value and the fields below (latestRefreshDate nullable).
 */
const TOKEN_ANSWER: Schema = {
  type: "object",
  additionalProperties: false,
  required: ["name", "uuid", "expiry"],
  properties: {
    name: { type: "string" },
    uuid: { type: "string", format: "uuid" },
    expiry: { type: "string", format: "date" },
    value: { type: "string" },
    allowOnProduction: { type: "boolean" },
    allowOnStaging: { type: "boolean" },
    cpcode: { type: "string" },
    issueDate: { type: "string", format: "date" },
    latestRefreshDate: { type: "string", format: "date", nullable: true },
    nextScheduledRefreshDate: { type: "string", format: "date" },
    namespacePermissions: {
      type: "object",
      additionalProperties: { type: "array", items: { type: "string", enum: ["r", "w", "d"] } },
    },
    restrictToEdgeWorkerIds: { type: "array", items: { type: "string" } },
    tokenActivationStatus: { type: "string", enum: ["IN_PROGRESS", "COMPLETE", "ERROR"] },
  },
};

const EDGEKV_PROBLEM = (op: OpenApiOperation, status: string) => op.responses[status]?.content?.["application/problem+json"];

/** The Fast Purge v3 answer body (ccu-v3.json schemas/response.yaml), reused for rate-limit-status. */
function purgeAnswerSchema(documents: Map<string, OpenApiDocument>): Schema {
  return jsonSchema(operation(doc(documents, "/ccu/v3"), "/invalidate/url/{network}", "post"), "201");
}

export const LIVE_DIFFERENCES: readonly LiveDifference[] = [
  {
    what: "EdgeKV token list items carry tokenActivationStatus, issueDate, latestRefreshDate and nextScheduledRefreshDate, each optional and nullable",
    source:
      "akamai/AkamaiOPEN-edgegrid-golang pkg/edgeworkers/edgekv_access_tokens.go (EdgeKVAccessToken: the four fields are *string); " +
      "shared reference akamai-openapi/README.md: a token never refreshed, or a legacy token, carries null",
    apply(documents) {
      const list = jsonSchema(operation(doc(documents, "/edgekv/v1"), "/tokens", "get"), "200") as {
        properties: { tokens: { items: { properties: Schema } } };
      };
      Object.assign(list.properties.tokens.items.properties, REFRESH_FIELDS);
    },
  },
  {
    what: "EdgeKV create and get answer enhanced tokens without `value`, with the enhanced workflow's fields",
    source:
      "Go SDK pkg/edgeworkers/edgekv_access_tokens.go and its test fixtures; Go SDK CHANGELOG 9.0.0 (2024-10-03); " +
      "TD-ekv 'Enhanced token workflow' (tokens created on or after 2024-08-30 have no value)",
    apply(documents) {
      const edgeKv = doc(documents, "/edgekv/v1");
      for (const [template, method] of [
        ["/tokens", "post"],
        ["/tokens/{tokenName}", "get"],
      ] as const) {
        const media = operation(edgeKv, template, method).responses["200"]?.content?.["application/json"];
        if (!media) throw new Error(`no 200 answer for ${method} ${template}`);
        media.schema = TOKEN_ANSWER;
      }
    },
  },
  {
    what: "EdgeKV create takes no `expiry` for enhanced tokens (legacy tokens still need it)",
    source:
      "TD-ekv 'Enhanced token workflow': expiry is not required for tokens created after 2024-08-30; Go SDK 9.0.0 removed it from the request",
    apply(documents) {
      const schema = operation(doc(documents, "/edgekv/v1"), "/tokens", "post").requestBody?.content["application/json"]
        ?.schema as { required: string[] };
      schema.required = schema.required.filter((field) => field !== "expiry");
    },
  },
  {
    what: "EdgeKV POST /tokens/{tokenName}/refresh (no body) answers the token, like get",
    source: "TD-ekv reference post-refresh-token (documented outside the OpenAPI file); Akamai's EdgeWorkers CLI refreshToken()",
    apply(documents) {
      const edgeKv = doc(documents, "/edgekv/v1");
      const get = operation(edgeKv, "/tokens/{tokenName}", "get");
      const problem = EDGEKV_PROBLEM(get, "404");
      const errors = Object.fromEntries(
        ["400", "404", "410"].map((status) => [
          status,
          { description: status, content: { "application/problem+json": problem ?? {} } },
        ]),
      );
      const pathParameters = edgeKv.paths["/tokens/{tokenName}"]?.parameters as OpenApiParameter[];
      edgeKv.paths["/tokens/{tokenName}/refresh"] = {
        parameters: pathParameters,
        post: {
          operationId: "post-refresh-token",
          responses: {
            "200": { description: "The refreshed token", content: { "application/json": { schema: TOKEN_ANSWER } } },
            ...errors,
          },
        },
      };
    },
  },
  {
    what: "Fast Purge POST /rate-limit-status/{url|cpcode|tag}[/{network}] (no body) answers the bucket levels in X-Ratelimit-* headers",
    source:
      "TD-purge reference post-rate-limit-status and Go SDK pkg/ccu rate_limit_status.go (documented outside the OpenAPI file); " +
      "the answer body is taken to be the v3 purge answer (schemas/response.yaml) and the status 200 or 201 [U]",
    apply(documents) {
      const ccu = doc(documents, "/ccu/v3");
      const answer = { content: { "application/json": { schema: purgeAnswerSchema(documents) } } };
      const objectType: OpenApiParameter = {
        name: "objectType",
        in: "path",
        required: true,
        schema: { type: "string", enum: ["url", "cpcode", "tag"] },
      };
      const network: OpenApiParameter = {
        name: "network",
        in: "path",
        required: true,
        schema: { type: "string", enum: ["staging", "production"] },
      };
      const post = { operationId: "post-rate-limit-status", responses: { "200": answer, "201": answer } };
      ccu.paths["/rate-limit-status/{objectType}"] = { parameters: [objectType], post };
      ccu.paths["/rate-limit-status/{objectType}/{network}"] = { parameters: [objectType, network], post };
    },
  },
  {
    what: "EdgeWorkers version ids in paths are strings (bundle.json's edgeworker-version, e.g. 1.0.0), not integers",
    source:
      "TD-ew code-bundle-format: edgeworker-version is a string; the same documents type `version` as a string in every answer",
    apply(documents) {
      const edgeWorkers = doc(documents, "/edgeworkers/v1");
      for (const template of ["/ids/{edgeWorkerId}/versions/{version}", "/ids/{edgeWorkerId}/versions/{version}/content"]) {
        for (const parameter of (edgeWorkers.paths[template]?.parameters ?? []) as OpenApiParameter[]) {
          if (parameter.name === "version") parameter.schema = { type: "string", minLength: 1 };
        }
      }
    },
  },
];

/** Deep copies of the documents with every live difference applied. */
export function withLiveDifferences(documents: readonly OpenApiDocument[]): OpenApiDocument[] {
  const copies = new Map(documents.map((d) => [basePath(d), structuredClone(d)]));
  for (const difference of LIVE_DIFFERENCES) difference.apply(copies);
  return [...copies.values()];
}
